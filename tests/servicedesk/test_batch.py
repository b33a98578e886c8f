"""Several reads in one statement (esm.batch): the same rows as the ORM, compiled once per shape."""

import pytest
from django.db import connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL
from django.test.utils import CaptureQueriesContext

from accounts.factories import UserFactory
from esm.batch import read_prepared, read_together
from servicedesk.detail import read_around
from servicedesk.models import Ticket

pytestmark = pytest.mark.django_db


def test_read_together_gives_what_the_orm_gives(make_incident, agent):
    first, second = make_incident(title="First"), make_incident(title="Second")
    reads = {
        "tickets": Ticket.objects.order_by("id").values_list("id", "number", "opened_at", "active"),
        "people": Ticket.objects.filter(pk=second.pk).values_list("requester__username", "assignee_id"),
        "nothing": Ticket.objects.none(),
        "no_rows": Ticket.objects.filter(pk=-1).values_list("id"),
    }
    with CaptureQueriesContext(connection) as ctx:
        found = read_together(**reads)
    assert len(ctx.captured_queries) == 1
    assert found["tickets"] == list(reads["tickets"]), "date-times come back as date-times"
    assert found["people"] == list(reads["people"]) and found["nothing"] == [] and found["no_rows"] == []
    assert {first.pk, second.pk} <= {row[0] for row in found["tickets"]}


def test_prepared_reads_take_each_calls_ids(make_incident):
    tickets = [make_incident(title=f"Ticket {i}") for i in range(3)]

    def build(ids):
        return {"one": Ticket.objects.filter(pk=ids["ticket"]).values_list("title"),
                "two": Ticket.objects.filter(pk__in=[ids["ticket"], ids["other"]]).order_by("id").values_list("id")}

    for ticket in tickets:
        found = read_prepared(("test-shape",), build, {"ticket": ticket.pk, "other": None})
        assert found == {"one": [(ticket.title,)], "two": [(ticket.pk,)]}
    found = read_prepared(("test-shape",), build, {"ticket": tickets[0].pk, "other": tickets[2].pk})
    assert found["two"] == [(tickets[0].pk,), (tickets[2].pk,)]


def test_read_around_keeps_each_persons_visibility(make_incident, agent, requester, other_requester):
    """A prepared read bakes visibility rules in: one person's never serves another."""
    from incidents import services

    parent = make_incident(title="Parent")
    services.incident_set_parent(ticket=make_incident(title="Alice's", requester=requester), actor=agent,
                                 parent=parent)
    services.incident_set_parent(ticket=make_incident(title="Bob's", requester=other_requester), actor=agent,
                                 parent=parent)
    seen = {person.username: [c.title for c in read_around(parent, person).children]
            for person in (requester, other_requester, agent, UserFactory(is_active=False))}
    assert seen[requester.username] == ["Alice's"]
    assert seen[other_requester.username] == ["Bob's"]
    assert seen[agent.username] == ["Alice's", "Bob's"]
    assert list(seen.values())[-1] == []


def test_prepared_reads_run_as_server_side_statements(make_incident, settings):
    ticket = make_incident(title="Prepared")

    def build(ids):
        return {"one": Ticket.objects.filter(RawSQL('"servicedesk_ticket"."id" = ANY(%s)', (ids["ids"],),
                                                    output_field=BooleanField()), number=ids["number"])
                .values_list("title")}

    with CaptureQueriesContext(connection) as ctx:
        for _ in range(3):
            found = read_prepared(("test-prepared",), build, {"number": ticket.number, "ids": [ticket.pk, 0]})
            assert found == {"one": [("Prepared",)]}
    statements = [q["sql"] for q in ctx.captured_queries]
    assert sum("PREPARE esm_read_" in s for s in statements) == 1, "prepared once on this connection"
    assert sum("EXECUTE esm_read_" in s for s in statements) == 3
    assert read_prepared(("test-prepared",), build, {"number": "NOPE", "ids": []}) == {"one": []}

    settings.DB_PREPARED_READS = False  # behind a pooler in transaction mode
    with CaptureQueriesContext(connection) as ctx:
        assert read_prepared(("test-prepared",), build, {"number": ticket.number, "ids": [ticket.pk]}) == found
    assert not any("EXECUTE" in q["sql"] for q in ctx.captured_queries)

    def spread(ids):  # ``__in`` spreads a list over one parameter per element: refused, not misread
        return {"one": Ticket.objects.filter(pk__in=ids["ids"]).values_list("title")}

    with pytest.raises(ValueError, match="one parameter"):
        read_prepared(("test-spread",), spread, {"ids": [ticket.pk]})


def test_ticket_row_is_what_the_orm_reads(make_incident, agent, requester, other_requester):
    from servicedesk.detail import ticket_row

    ticket = make_incident(title="Row", description="Body **text**")
    row = ticket_row(agent, kind="incident", number=f" {ticket.number.lower()} ", select=("incident",))
    orm = Ticket.objects.select_related("incident").get(pk=ticket.pk)
    for field in Ticket._meta.concrete_fields:
        if field.attname != "search_document":
            assert getattr(row, field.attname) == getattr(orm, field.attname), field.attname
    for field in type(orm.incident)._meta.concrete_fields:
        assert getattr(row.incident, field.attname) == getattr(orm.incident, field.attname), field.attname
    assert row.incident.ticket is row
    assert ticket_row(requester, kind="incident", number=ticket.number).pk == ticket.pk
    assert ticket_row(other_requester, kind="incident", number=ticket.number) is None  # not theirs
    assert ticket_row(agent, kind="change", number=ticket.number) is None
    assert ticket_row(agent, kind="incident", number="X" * 40) is None
