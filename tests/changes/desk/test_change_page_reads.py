"""The change page reads little and the same whatever the change has around it (CIs, votes, timeline)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import roles
from accounts.factories import UserFactory
from changes import services
from changes.choices import ChangeState
from cmdb.factories import CIFactory
from servicedesk.detail import TIMELINE_PAGE_SIZE
from servicedesk.models import ApprovalStep, ApprovalVote, Comment, TimelineEntry

from .conftest import page

pytestmark = pytest.mark.django_db

PAGE_QUERY_BUDGET = 13


def count(client, url) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_page_queries_are_few_and_flat(agent_client, make_change, agent, cab, cab_rules):
    ticket = make_change(cis=[CIFactory()])
    services.change_transition(ticket=ticket, actor=agent, to=ChangeState.ASSESSMENT)
    services.change_transition(ticket=ticket, actor=agent, to=ChangeState.AUTHORIZATION)
    step = ApprovalStep.objects.get(ticket=ticket)

    def grow(n):
        services.change_link_cis(ticket=ticket, actor=agent, cis=[CIFactory() for _ in range(n)])
        for i in range(n):
            ApprovalVote.objects.create(step=step, approver=UserFactory(roles=[roles.CAB_MEMBER]))
            comment = Comment.objects.create(ticket=ticket, author=agent, body=f"note {i}", public=False)
            TimelineEntry.objects.create(ticket=ticket, actor=agent, kind="work_note", comment=comment)

    url = page(ticket)
    agent_client.get(url)  # per-process caches: affected services
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


def test_timeline_pages_with_and_without_javascript(agent_client, make_change, agent):
    ticket = make_change()
    for i in range(TIMELINE_PAGE_SIZE + 5):
        comment = Comment.objects.create(ticket=ticket, author=agent, body=f"entry number {i:02d}", public=False)
        TimelineEntry.objects.create(ticket=ticket, actor=agent, kind="work_note", comment=comment)
    html = agent_client.get(page(ticket)).content.decode()
    assert f"entry number {TIMELINE_PAGE_SIZE + 4:02d}" in html
    assert "entry number 00" not in html and "raised the change" not in html
    older = re.search(r'href="([^"]*timeline/\?before=\d+)"', html).group(1).replace("&amp;", "&")
    part = agent_client.get(older, HTTP_HX_REQUEST="true").content.decode()
    assert "navbar" not in part and "entry number 00" in part and "raised the change" in part
    full = agent_client.get(older).content.decode()
    assert "navbar" in full and page(ticket) in full
    for bad in ("x", "-1", "9" * 40):
        assert agent_client.get(page(ticket, "timeline"), {"before": bad}).status_code == 200
