"""The incident detail endpoint: built directly for speed, exactly the documented serializer's output,
and a fixed, small number of queries however much the incident has around it."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import Prefetch
from django.test.utils import CaptureQueriesContext
from rest_framework.renderers import JSONRenderer

from accounts import roles
from accounts.factories import UserFactory
from cmdb.factories import CIFactory
from cmdb.models import ConfigurationItem
from incidents import services
from servicedesk import services as desk
from servicedesk.models import Category, Ticket

from .conftest import url

pytestmark = pytest.mark.django_db

DETAIL_QUERY_BUDGET = 8


def documented(ticket_number: str, user, rf) -> dict:
    """What IncidentDetailSerializer makes of the incident read the old way (every relation joined)."""
    from incidents.api.serializers import IncidentDetailSerializer
    from incidents.queries import incident_detail_queryset

    request = rf.get("/api/v1/incidents/", HTTP_HOST="testserver")
    request.user = user
    ticket = incident_detail_queryset(user).prefetch_related(
        Prefetch("children", queryset=Ticket.objects.order_by("id")),
        Prefetch("cis", queryset=ConfigurationItem.objects.order_by("name", "id")),
    ).get(number=ticket_number)
    return json.loads(JSONRenderer().render(IncidentDetailSerializer(ticket, context={"request": request}).data))


def test_detail_equals_the_documented_serializer_field_for_field(agent_api, make_incident, agent, team, service,
                                                                 rf):
    category = Category.objects.create(name="Network", parent=Category.objects.create(name="IT"))
    full = make_incident(title="Full one", category=category, service=service, impact=1, urgency=1)
    agent_api.post(url(full.number, "assign"), {"team": team.pk, "assignee": agent.pk}, format="json")
    desk.ticket_link_cis(ticket=full, actor=agent, cis=[CIFactory(name="b-host"), CIFactory(name="a-host")])
    for _ in range(2):
        services.incident_set_parent(ticket=make_incident(title="Child"), actor=agent, parent=full)
    child = make_incident(title="Child with a parent")
    services.incident_set_parent(ticket=child, actor=agent, parent=full)
    duplicate = make_incident(title="Duplicate")
    services.incident_merge(ticket=duplicate, actor=agent, into=full)
    korean = make_incident(title="Called by 김민지",
                           requester=UserFactory(username="minji", first_name="민지", last_name="김"))
    bare = make_incident(title="Bare one")
    for ticket in (full, child, duplicate, korean, bare):
        response = agent_api.get(url(ticket.number))
        assert response.status_code == 200
        expected = documented(ticket.number, agent, rf)
        assert list(response.json()) == list(expected), "same fields, same order"
        assert response.json() == expected, ticket.title
        assert response["ETag"] == f'"{Ticket.objects.get(pk=ticket.pk).version}"'


def test_requester_sees_only_the_children_they_may_see(requester_api, make_incident, agent, requester,
                                                       other_requester):
    mine = make_incident(title="Mine")
    services.incident_set_parent(ticket=make_incident(title="Also mine"), actor=agent, parent=mine)
    services.incident_set_parent(ticket=make_incident(title="Not mine", requester=other_requester), actor=agent,
                                 parent=mine)
    data = requester_api.get(url(mine.number)).json()
    assert len(data["children"]) == 1
    assert data["allowed_transitions"] is not None


def count_queries(client, path) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_detail_queries_are_few_and_flat(agent_api, incident, agent, team, make_incident):
    """Timeline entries, CIs, watchers, children and the team's agents: 3 of each or 30, the same queries."""

    def grow(n):
        for i in range(n):
            services.incident_comment(ticket=incident, actor=agent, body=f"note {i}", public=bool(i % 2))
            desk.attachment_add(ticket=incident, actor=agent, public=True,
                                upload=SimpleUploadedFile(f"f{i}.txt", b"data"))
            desk.ticket_link_cis(ticket=incident, actor=agent, cis=[CIFactory()])
            desk.ticket_watch(ticket=incident, actor=agent, user=UserFactory(), watching=True)
            team.members.add(UserFactory(roles=[roles.AGENT]))
            services.incident_set_parent(ticket=make_incident(), actor=agent, parent=incident)

    path = url(incident.number)
    agent_api.get(path)  # per-process caches: the SLA calendar, the affected services
    grow(3)
    agent_api.get(path)
    few = count_queries(agent_api, path)
    grow(27)
    agent_api.get(path)
    many = count_queries(agent_api, path)
    assert few == many, f"{few} queries with 3 of everything, {many} with 30"
    assert many <= DETAIL_QUERY_BUDGET
    data = agent_api.get(path).json()
    assert len(data["cis"]) == 30 and len(data["children"]) == 30
