"""The incident page reads little and the same whatever the incident has around it; pickers, the
paged timeline and the panels still work with and without JavaScript."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts import roles
from accounts.factories import TeamFactory, UserFactory
from cmdb.factories import CIFactory, ServiceFactory
from cmdb.models import Relationship, RelationshipType
from incidents import services
from servicedesk import services as desk_services
from servicedesk.detail import TIMELINE_PAGE_SIZE
from servicedesk.models import Category

pytestmark = pytest.mark.django_db

PAGE_QUERY_BUDGET = 12


def detail_url(ticket, **params) -> str:
    url = reverse("desk-incidents:detail", args=[ticket.number])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def count(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_page_queries_are_few_and_flat(agent_client, in_progress, agent, team, make_incident):
    """3 or 30 timeline entries, CIs, watchers, children, agents in the team: the same queries, ≤ 12."""

    def grow(n):
        for i in range(n):
            services.incident_comment(ticket=in_progress, actor=agent, body=f"note {i}", public=bool(i % 2),
                                      minutes=None if i % 2 else 5)
            desk_services.ticket_link_cis(ticket=in_progress, actor=agent, cis=[CIFactory()])
            desk_services.ticket_watch(ticket=in_progress, actor=agent, user=UserFactory(), watching=True)
            team.members.add(UserFactory(roles=[roles.AGENT]))
            TeamFactory()
            services.incident_set_parent(ticket=make_incident(), actor=agent, parent=in_progress)

    url = detail_url(in_progress)
    agent_client.get(url)  # per-process caches: the SLA calendar, the affected services
    grow(3)
    agent_client.get(url)
    few, _html = count(agent_client, url)
    grow(27)
    agent_client.get(url)
    many, html = count(agent_client, url)
    assert few == many, f"{few} queries with 3 of everything, {many} with 30"
    assert many <= PAGE_QUERY_BUDGET
    shown = html.count('class="esm-entry ') + html.count('class="esm-event esm-event-')
    assert shown == TIMELINE_PAGE_SIZE, "the newest entries only"
    assert "Show older entries" in html


def test_timeline_pages_with_and_without_javascript(agent_client, in_progress, agent):
    for i in range(TIMELINE_PAGE_SIZE + 5):
        services.incident_comment(ticket=in_progress, actor=agent, body=f"entry number {i:02d}", public=True)
    html = agent_client.get(detail_url(in_progress)).content.decode()
    assert f"entry number {TIMELINE_PAGE_SIZE + 4:02d}" in html, "the newest is shown"
    assert "entry number 00" not in html and "opened the incident" not in html
    older = re.search(r'href="([^"]*timeline/\?before=\d+)"', html).group(1).replace("&amp;", "&")
    # With htmx: the next entries only, to replace the link.
    part = agent_client.get(older, HTTP_HX_REQUEST="true").content.decode()
    assert "navbar" not in part and "entry number 00" in part and "opened the incident" in part
    assert f"entry number {TIMELINE_PAGE_SIZE + 4:02d}" not in part
    assert "Show older entries" not in part, "the oldest page has no further link"
    # Without JavaScript: the same entries on a page of their own, with the way back.
    page = agent_client.get(older).content.decode()
    assert "navbar" in page and "entry number 00" in page and detail_url(in_progress) in page


def test_timeline_cursor_is_checked(agent_client, in_progress):
    url = reverse("desk-incidents:timeline", args=[in_progress.number])
    for bad in ("x", "-1", "9" * 40, "1%00"):
        assert agent_client.get(url, {"before": bad}).status_code == 200


def test_edit_pickers_hold_the_current_value_until_opened(agent_client, make_incident, agent, service):
    category = Category.objects.get(name="VPN")
    ServiceFactory(name="Payroll")
    ticket = make_incident(title="Pickers", service=service, category=category, actor=agent)
    html = agent_client.get(detail_url(ticket)).content.decode()
    select = re.search(r'<select name="edit-service".*?</select>', html, re.S).group(0)
    assert "E-mail" in select and "Payroll" not in select, "only the current service until the form opens"
    # With htmx: opening the form swaps in the full selects.
    assert 'hx-trigger="toggle once"' in html
    choices = agent_client.get(reverse("desk-incidents:edit_choices", args=[ticket.number]),
                               HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-swap-oob="true"' in choices and "Payroll" in choices and "Hardware" in choices
    assert re.search(rf'<option value="{service.pk}" selected>', choices)
    # Without JavaScript: the link reloads the page with every choice and the form open.
    assert "?edit=all#edit" in html
    full = agent_client.get(detail_url(ticket, edit="all")).content.decode()
    select = re.search(r'<select name="edit-service".*?</select>', full, re.S).group(0)
    assert "Payroll" in select and re.search(r'<details id="edit"[^>]* open', full)


def test_saving_a_service_the_page_did_not_list(agent_client, make_incident, agent, service):
    """The form takes every valid choice, whatever the page showed at first."""
    from tests.desk.conftest import post_versioned

    ticket = make_incident(title="Move me", service=service, actor=agent)
    payroll = ServiceFactory(name="Payroll")
    data = {"edit-title": "Move me", "edit-description": "", "edit-impact": 3, "edit-urgency": 2,
            "edit-channel": ticket.incident.channel, "edit-category": "", "edit-service": payroll.pk}
    response = post_versioned(agent_client, reverse("desk-incidents:edit", args=[ticket.number]), ticket, data,
                              prefix="edit")
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.service_id == payroll.pk


def test_assignment_pickers_from_the_one_read(agent_client, incident, team, agent, other_team):
    html = agent_client.get(detail_url(incident)).content.decode()
    team_select = re.search(r'<select name="assign-team".*?</select>', html, re.S).group(0)
    assert "Service Desk" in team_select and "Network" in team_select
    assignee_select = re.search(r'<select [^>]*name="assign-assignee".*?</select>', html, re.S).group(0)
    assert "Adam Choi" in assignee_select and "Eve Han" not in assignee_select, "members of the ticket's team"
    escalate = re.search(r'<select name="esc-team".*?</select>', html, re.S).group(0)
    assert "Network" in escalate


def test_affected_services_follow_cmdb_changes(agent_client, make_incident, agent):
    """Cached per CI set, the panel still shows a relationship added after the first view."""
    server = CIFactory(name="db-host-01")
    payroll = ServiceFactory(name="Payroll")
    ticket = make_incident(title="Disk full", actor=agent, cis=[server])
    html = agent_client.get(detail_url(ticket)).content.decode()
    assert "Payroll" not in html[html.index('id="ci-panel"'):]
    Relationship.objects.create(source=payroll, target=server,
                                type=RelationshipType.objects.get(slug="depends_on"))
    html = agent_client.get(detail_url(ticket)).content.decode()
    assert "Payroll" in html[html.index('id="ci-panel"'):]


def test_no_inline_scripts_or_handlers(agent_client, in_progress):
    html = agent_client.get(detail_url(in_progress)).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert not re.search(r"\son[a-z]+=", html)
