"""Every list endpoint runs the same number of queries for 3 rows and for 30 (docs/architecture.md, rule 6)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.factories import TeamFactory, UserFactory
from cmdb.factories import CIFactory, ServiceFactory
from servicedesk import services as desk
from servicedesk.factories import CategoryFactory

from .conftest import INCIDENTS, url

pytestmark = pytest.mark.django_db


def count_queries(client, path, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, {"page_size": 100, **(params or {})})
    assert response.status_code == 200, response.data
    return len(ctx.captured_queries)


def assert_flat(client, path, grow, params=None):
    """``grow(n)`` adds n rows; the query count must not change between 3 rows and 30."""
    grow(3)
    client.get(path, params)  # warm per-process caches (content types, permissions)
    small = count_queries(client, path, params)
    grow(27)
    large = count_queries(client, path, params)
    assert small == large, f"{path}: {small} queries for 3 rows, {large} for 30"
    return large


@pytest.mark.parametrize("params", [{}, {"brief": "1"}, {"q": "printer"}, {"ordering": "-updated_at"}])
def test_incident_list_agent(agent_api, make_incident, service, params):
    def grow(n):
        for i in range(n):
            make_incident(title=f"Printer {i}", service=service)

    assert assert_flat(agent_api, INCIDENTS, grow, params) <= 6


def test_incident_list_requester(requester_api, make_incident, service):
    assert_flat(requester_api, INCIDENTS, lambda n: [make_incident(service=service) for _ in range(n)])


@pytest.mark.parametrize("path", ["comments", "attachments", "timeline", "cis"])
def test_incident_sub_lists(agent_api, incident, agent, path):
    def grow(n):
        for i in range(n):
            desk.comment_add(ticket=incident, actor=agent, body=f"note {i}", public=bool(i % 2))
            desk.attachment_add(ticket=incident, actor=agent, upload=SimpleUploadedFile(f"f{i}.txt", b"data"),
                                public=bool(i % 2))
            desk.ticket_link_cis(ticket=incident, actor=agent, cis=[CIFactory()])

    assert_flat(agent_api, url(incident.number, path), grow)


@pytest.mark.parametrize("path", ["comments", "attachments", "timeline"])
def test_requester_sub_lists(requester_api, incident, agent, path):
    def grow(n):
        for i in range(n):
            desk.comment_add(ticket=incident, actor=agent, body=f"reply {i}", public=True)
            desk.attachment_add(ticket=incident, actor=agent, upload=SimpleUploadedFile(f"f{i}.txt", b"data"))

    assert_flat(requester_api, url(incident.number, path), grow)


def test_time_totals(agent_api, incident):
    def grow(n):
        for _ in range(n):
            helper = UserFactory(roles=[roles.AGENT])
            desk.time_entry_add(ticket=incident, actor=helper, minutes=5, note="work")

    assert_flat(agent_api, url(incident.number, "time-entries"), grow)


def test_incident_detail_with_many_children_and_cis(agent_api, incident, make_incident, agent):
    from incidents import services

    def grow(n):
        for _ in range(n):
            child = make_incident()
            services.incident_set_parent(ticket=child, actor=agent, parent=incident)
            desk.ticket_link_cis(ticket=incident, actor=agent, cis=[CIFactory()])

    grow(3)
    small = count_queries(agent_api, url(incident.number))
    grow(27)
    assert count_queries(agent_api, url(incident.number)) == small


def test_reference_lists(agent_api, team):
    def grow_teams(n):
        for _ in range(n):
            TeamFactory(members=[UserFactory(roles=[roles.AGENT]), UserFactory()], lead=UserFactory())

    def grow_users(n):
        for _ in range(n):
            UserFactory(roles=[roles.REQUESTER], organisation=team.members.first().organisation)

    def grow_categories(n):
        parent = CategoryFactory()
        for _ in range(n):
            CategoryFactory(parent=parent)

    def grow_services(n):
        for _ in range(n):
            ServiceFactory(owner=UserFactory(), support_team=team, owner_team=team)

    assert_flat(agent_api, "/api/v1/teams/", grow_teams)
    assert_flat(agent_api, "/api/v1/users/", grow_users)
    assert_flat(agent_api, "/api/v1/categories/", grow_categories)
    assert_flat(agent_api, "/api/v1/services/", grow_services)
