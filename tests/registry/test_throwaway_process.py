"""A process registered in the test suite alone shows up everywhere the service desk links tickets.

"Errands" have their own workflow, number prefix, pages and hold reason, and exist nowhere in the
application: the queue, the search, the notifications, the timeline and the SLA clocks reach them
through the process registry only.
"""

import pytest
from django.core import mail
from django.db import transaction
from django.urls import clear_url_caches
from django.utils.translation import gettext_lazy as _

from servicedesk import registry
from servicedesk import services as desk
from servicedesk.choices import EventKind
from servicedesk.models import TimelineEntry
from servicedesk.notifications import notify
from servicedesk.queries import search_tickets, ticket_timeline, tickets_visible_to
from servicedesk.views.portal import plain_state
from servicedesk.workflow import Actor, State, Transition, Workflow
from sla import services as sla_services

ANYONE = frozenset({Actor.AGENT, Actor.SYSTEM})
ERRAND_WORKFLOW = Workflow(
    initial="todo",
    states=[State("todo", _("To do"), badge="info"), State("parked", _("Parked"), badge="warning"),
            State("done", _("Done"), active=False, resolved=True, closed=True, badge="success")],
    transitions=[Transition("todo", "parked", "Park", ANYONE, requires=("reason",)),
                 Transition("parked", "todo", "Unpark", ANYONE),
                 Transition("todo", "done", "Finish", ANYONE)],
)
ERRAND = registry.Process(
    kind="errand", label="Errand", label_plural="Errands", number_prefix="ERR", workflow=ERRAND_WORKFLOW,
    desk_url="errand-desk", portal_url="errand-portal", hold_state="parked",
    hold_reasons=(registry.HoldReason("need_keys", "Need the keys", "Please bring us the keys.",
                                      waiting_for_requester=True),),
    hold_reason_of=lambda ticket: ticket.timeline.filter(kind=EventKind.STATE).last().data.get("reason", ""),
)


@pytest.fixture
def errands(settings, db):
    settings.ROOT_URLCONF = "tests.registry.urls"
    clear_url_caches()
    registry.register(ERRAND)
    yield
    registry.unregister(ERRAND.kind)
    clear_url_caches()


@pytest.fixture
def errand(errands, agent, requester, team, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        return desk.ticket_create(kind="errand", workflow=ERRAND_WORKFLOW, actor=agent, requester=requester,
                                  title="Water the office plants", description="Every Friday", priority=3,
                                  team=team, assignee=agent)


def test_numbered_with_its_own_prefix(errand):
    assert errand.number == "ERR0000001"
    assert registry.ticket_url("errand", errand.number) == "/desk/errands/ERR0000001/"


def test_in_the_queue_with_its_link_and_state(client, agent, errand):
    client.force_login(agent)
    page = client.get("/desk/?queue=mine").content.decode()
    assert 'href="/desk/errands/ERR0000001/"' in page
    assert "To do" in page


def test_found_by_number_and_by_words(client, agent, requester, errand):
    client.force_login(agent)
    assert client.get("/desk/?q=err0000001&go=1")["Location"] == "/desk/errands/ERR0000001/"
    assert client.get("/desk/tickets/ERR0000001/")["Location"] == "/desk/errands/ERR0000001/"
    assert list(search_tickets(tickets_visible_to(agent), "plants", internal=True)) == [errand]
    client.force_login(requester)
    page = client.get("/portal/tickets/?q=plants").content.decode()
    assert 'href="/portal/errands/ERR0000001/"' in page


def test_notifications_link_its_pages(errand, agent, requester, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notify(ticket=errand, recipients=[requester], reason="created")
        desk.comment_add(ticket=errand, actor=agent, body="Done for this week.", public=True)
    bodies = [m.body for m in mail.outbox if m.to == [requester.email]]
    assert len(bodies) == 2
    assert all("http://testserver/portal/errands/ERR0000001/" in body or "/portal/errands/ERR0000001/" in body
               for body in bodies)


def test_timeline_stores_facts_and_the_portal_tells_the_hold(errand, agent, requester, team,
                                                              django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        locked = desk.ticket_lock(ticket=errand, expected_version=None)
        desk.ticket_change_state(ticket=locked, workflow=ERRAND_WORKFLOW, target="parked", actor=agent,
                                 reason="need_keys")
    kinds = [(e.kind, e.data.get("team_id"), e.data.get("reason")) for e in ticket_timeline(errand, public_only=False)]
    assert kinds == [(EventKind.CREATED, None, None), (EventKind.ASSIGNED, team.pk, None),
                     (EventKind.STATE, None, "need_keys")]
    errand.refresh_from_db()
    shown = plain_state(errand, requester)
    assert shown.waiting_for_you and "keys" in str(shown.hint)
    # The clocks read the same timeline through the registry's workflow (no agreement covers errands).
    assert sla_services.clocks_recompute(ticket_id=errand.pk, force=True) == []
    assert TimelineEntry.objects.filter(ticket=errand).count() == 3


def test_ticket_urls_are_what_reverse_gives():
    from django.urls import reverse

    from servicedesk import registry

    for number in ("INC0000001", "INC12345678"):
        assert registry.ticket_url("incident", number) == reverse("desk-incidents:detail", args=[number])
    # Anything else than a plain number still goes through reverse() (quoted as it would be).
    assert registry.ticket_url("incident", "inc 1") == reverse("desk-incidents:detail", args=["inc 1"])
