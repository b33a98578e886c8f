"""The queue page: tabs, filters, sorting, keyset pagination, search, htmx partials, query counts."""

import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.factories import TeamFactory
from incidents import services
from incidents.choices import IncidentState
from servicedesk.models import Ticket
from servicedesk.views import desk as desk_views
from sla.services import clocks_recompute

pytestmark = pytest.mark.django_db

QUEUE = reverse("desk:queue")
NUMBER_RE = re.compile(r"INC\d{7}")


def numbers(response) -> list[str]:
    """Ticket numbers in the table, in order (each row links its number once)."""
    return re.findall(r'class="esm-row-link" href="[^"]+">(INC\d{7})<', response.content.decode())


def make_queue_rows(make_incident, *, agent, team, n):
    """n incidents assigned to the agent and n unassigned in the agent's team; all P1 and major."""
    for i in range(n):
        mine = make_incident(title=f"Assigned {i}", impact=1, urgency=1, team=team, assignee=agent, actor=agent)
        services.incident_set_major(ticket=mine, actor=team.lead, major=True)
        theirs = make_incident(title=f"Waiting {i}", impact=1, urgency=1, team=team, actor=agent)
        services.incident_set_major(ticket=theirs, actor=team.lead, major=True)
        for ticket in (mine, theirs):  # SLA clocks (P1: response due in 15 min), as after the commit
            clocks_recompute(ticket_id=ticket.pk)


def count_queries(client, url):
    client.get(url)  # the connection's first run of a read prepares it (esm.batch): one query more, once
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("queue", list(desk_views.QUEUE_LABELS))
def test_query_count_is_the_same_for_3_and_30_rows(agent_client, make_incident, agent, team, queue):
    url = f"{QUEUE}?queue={queue}"
    make_queue_rows(make_incident, agent=agent, team=team, n=3)
    few, response = count_queries(agent_client, url)
    assert len(numbers(response)) >= 3
    make_queue_rows(make_incident, agent=agent, team=team, n=27)
    many, response = count_queries(agent_client, url)
    assert len(numbers(response)) >= 30
    assert few == many, f"{queue}: {few} queries for 3 rows, {many} for 30"


def test_query_count_is_fixed_for_the_htmx_partial_with_filters(agent_client, make_incident, agent, team, service):
    url = f"{QUEUE}?queue=open&team_id={team.pk}&priority=1&q=Waiting"
    make_queue_rows(make_incident, agent=agent, team=team, n=3)
    with CaptureQueriesContext(connection) as few:
        agent_client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-results")
    make_queue_rows(make_incident, agent=agent, team=team, n=27)
    with CaptureQueriesContext(connection) as many:
        response = agent_client.get(url, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-results")
    assert len(numbers(response)) == 30
    assert len(few.captured_queries) == len(many.captured_queries)
    assert not any("COUNT(" in q["sql"].upper() for q in many.captured_queries), "no counting the table"


def test_tabs(agent_client, make_incident, agent, other_agent, team, other_team):
    mine = make_incident(title="Mine", team=team, assignee=agent, actor=agent)
    team_unassigned = make_incident(title="Team unassigned", team=team, actor=agent)
    elsewhere = make_incident(title="Elsewhere", team=other_team, assignee=other_agent, actor=agent)
    major = make_incident(title="Major", impact=1, urgency=1, team=other_team, actor=agent)
    services.incident_set_major(ticket=major, actor=team.lead, major=True)
    done = make_incident(title="Done", team=team, assignee=agent, actor=agent)
    services.incident_transition(ticket=done, actor=agent, to=IncidentState.RESOLVED,
                                 resolution_code="solved_permanently", resolution_notes="Fixed.")

    def tab(name):
        return set(numbers(agent_client.get(f"{QUEUE}?queue={name}")))

    assert tab("mine") == {mine.number}
    assert tab("my_teams") == {mine.number, team_unassigned.number}
    assert tab("unassigned") == {team_unassigned.number, major.number}
    assert tab("major") == {major.number}
    assert tab("open") == {mine.number, team_unassigned.number, elsewhere.number, major.number}
    assert tab("all") == {mine.number, team_unassigned.number, elsewhere.number, major.number, done.number}
    assert set(numbers(agent_client.get(QUEUE))) == {mine.number}, "My work is the default tab"
    assert tab("bogus") == {mine.number}


def test_filters_use_the_shared_filterset_parameters(agent_client, make_incident, agent, team, other_team,
                                                     service, category, other_agent):
    a = make_incident(title="Printer on fire", impact=1, urgency=1, team=team, assignee=agent, actor=agent,
                      service=service, category=category)
    b = make_incident(title="Slow laptop", impact=3, urgency=3, team=other_team, assignee=other_agent, actor=agent)
    services.incident_transition(ticket=b, actor=agent, to=IncidentState.IN_PROGRESS)

    def found(query):
        return set(numbers(agent_client.get(f"{QUEUE}?queue=open&{query}")))

    assert found("state=in_progress") == {b.number}
    assert found("state=new") == {a.number}
    assert found("priority=1") == {a.number}
    assert found("priority=5") == {b.number}
    assert found(f"team_id={other_team.pk}") == {b.number}
    assert found(f"assignee_id={agent.pk}") == {a.number}
    assert found(f"category_id={category.pk}") == {a.number}
    assert found(f"service_id={service.pk}") == {a.number}
    assert found("q=printer") == {a.number}
    assert found(f"q={b.number.lower()}") == {b.number}
    assert found("priority=1&priority=5") == {a.number, b.number}


def test_filter_bar_shows_the_chosen_values(agent_client, team):
    html = agent_client.get(f"{QUEUE}?queue=open&team_id={team.pk}&q=vpn&ordering=-updated_at").content.decode()
    assert f'<option value="{team.pk}" selected>{team.name}</option>' in html
    assert 'value="vpn"' in html
    assert '<option value="-updated_at" selected>' in html


def test_sorting(agent_client, make_incident, agent):
    low = make_incident(title="low", impact=3, urgency=3)
    high = make_incident(title="high", impact=1, urgency=1)
    mid = make_incident(title="mid", impact=2, urgency=2)
    services.incident_update(ticket=low, actor=agent, title="low (touched)")

    def order(ordering):
        return numbers(agent_client.get(f"{QUEUE}?queue=open&ordering={ordering}"))

    assert order("priority") == [high.number, mid.number, low.number]
    assert order("-opened_at") == [mid.number, high.number, low.number]
    assert order("opened_at") == [low.number, high.number, mid.number]
    assert order("-updated_at")[0] == low.number
    assert order("nonsense") == order("priority")


def test_pagination_walks_every_row_forwards_and_back(agent_client, make_incident, monkeypatch):
    monkeypatch.setattr(desk_views, "QUEUE_PAGE_SIZE", 5)
    created = [make_incident(title=f"Row {i}", impact=1 + i % 3, urgency=1 + (i // 3) % 3).number for i in range(12)]
    url, pages, seen = f"{QUEUE}?queue=open", [], []
    while url:
        response = agent_client.get(url)
        page = numbers(response)
        pages.append(page)
        seen += page
        match = re.search(r'rel="next" href="([^"]+)"', response.content.decode())
        url = QUEUE + match.group(1).replace("&amp;", "&") if match else None
    assert sorted(seen) == sorted(created) and len(seen) == 12
    assert [len(p) for p in pages] == [5, 5, 2]
    # And back again from the last page.
    html = response.content.decode()
    previous = re.search(r'rel="prev" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert numbers(agent_client.get(QUEUE + previous)) == pages[1]


def test_broken_input_never_500s(agent_client):
    for query in ["cursor=garbage", "cursor=eyJvIjoicHJpb3JpdHkiLCJ2IjpbMSwxXX0", "team_id=abc",
                  "team_id=99999999999999999999999", "q=%00", "priority=9", "state=nope", "q=" + "x" * 500,
                  "ordering=%00", "assignee_id=-1", "q='\"&|!():*"]:
        response = agent_client.get(f"{QUEUE}?queue=all&{query}")
        assert response.status_code == 200, query


def test_korean_search(agent_client, make_incident):
    outage = make_incident(title="메일 서버 장애", description="메일이 안 갑니다")
    make_incident(title="프린터 용지 걸림")
    make_incident(title="Printer jam")
    assert numbers(agent_client.get(f"{QUEUE}?queue=all&q=장애")) == [outage.number]
    assert numbers(agent_client.get(f"{QUEUE}?queue=all&q=서버")) == [outage.number]


def test_htmx_filter_returns_only_the_results(agent_client, make_incident):
    make_incident(title="Printer jam")
    response = agent_client.get(f"{QUEUE}?queue=open&q=printer", HTTP_HX_REQUEST="true",
                                HTTP_HX_TARGET="queue-results")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="queue-results">')
    assert "<nav class=\"navbar" not in html
    assert "HX-Request" in response["Vary"]
    # The tabs inside the partial keep the filter.
    assert 'href="?queue=mine&amp;q=printer"' in html
    # A history restore gets the whole page.
    full = agent_client.get(f"{QUEUE}?queue=open", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="queue-results",
                            HTTP_HX_HISTORY_RESTORE_REQUEST="true")
    assert "navbar" in full.content.decode()


def test_filter_form_works_without_javascript(agent_client):
    html = agent_client.get(QUEUE).content.decode()
    assert 'id="queue-filters"' in html and 'method="get"' in html and 'hx-push-url="true"' in html
    assert 'type="submit"' in html


def test_row_shows_columns_and_links_the_incident_page(agent_client, make_incident, agent, team, service):
    ticket = make_incident(title="VPN down", team=team, assignee=agent, actor=agent, service=service)
    html = agent_client.get(QUEUE).content.decode()
    assert reverse("desk-incidents:detail", args=[ticket.number]) in html
    for text in ("VPN down", "Alice Kim", "Service Desk", "Adam Choi", "E-mail", ">New<", ">P4<"):
        assert text in html, text


def test_times_are_shown_in_the_viewers_time_zone(agent_client, agent, make_incident):
    make_incident()
    agent.time_zone = "Asia/Seoul"
    agent.save()
    html = agent_client.get(f"{QUEUE}?queue=open").content.decode()
    assert "KST" in html


def test_navbar_search_with_a_number_opens_the_ticket(agent_client, incident):
    response = agent_client.get(f"{QUEUE}?queue=all&go=1&q={incident.number.lower()}")
    assert response.status_code == 302
    assert response["Location"] == reverse("desk-incidents:detail", args=[incident.number])
    # Words just search.
    assert agent_client.get(f"{QUEUE}?queue=all&go=1&q=mail").status_code == 200


def test_ticket_detail_dispatches_by_kind(agent_client, incident):
    response = agent_client.get(reverse("desk:ticket_detail", args=[incident.number.lower()]))
    assert response.status_code == 302
    assert response["Location"] == reverse("desk-incidents:detail", args=[incident.number])


def test_team_members_and_user_lookup(agent_client, agent, lead, team, requester, other_requester):
    TeamFactory(name="Dormant", active=False, members=[agent])
    html = agent_client.get(reverse("desk:team_members") + f"?assign-team={team.pk}").content.decode()
    assert "Adam Choi" in html and "Lena Park" in html and "Bob" not in html
    assert agent_client.get(reverse("desk:team_members") + "?team=999999999999999999999").status_code == 200
    html = agent_client.get(reverse("desk:user_lookup") + "?q=ali&name=requester").content.decode()
    assert 'name="requester"' in html and "Alice Kim" in html and "Bob Lee" not in html
    html = agent_client.get(reverse("desk:user_lookup") + "?requester_q=lee").content.decode()
    assert "Bob Lee" in html
    html = agent_client.get(reverse("desk:user_lookup") + "?q=Alice%20Kim&name=<script>").content.decode()
    assert "<script>" not in html and 'name="requester"' in html


def test_state_filter_still_works_after_the_api_schema_was_generated(agent_client, make_incident, agent):
    """Generating the OpenAPI document caches the filter fields; the queue must not lose its state choices."""
    started = make_incident(title="Started")
    services.incident_transition(ticket=started, actor=agent, to=IncidentState.IN_PROGRESS)
    make_incident(title="Waiting")
    assert agent_client.get(reverse("schema")).status_code == 200
    assert numbers(agent_client.get(f"{QUEUE}?queue=open&state=in_progress")) == [started.number]


@time_machine.travel(datetime(2026, 3, 7, 10, tzinfo=UTC), tick=False)  # a Saturday: business-hours clocks wait
def test_breaching_soon_queue_and_time_left_column(agent_client, make_incident, agent, team, settings):
    urgent = make_incident(title="Core router down", impact=1, urgency=1, team=team, actor=agent)
    relaxed = make_incident(title="New mouse please", impact=3, urgency=3, team=team, actor=agent)
    for ticket in (urgent, relaxed):
        clocks_recompute(ticket_id=ticket.pk)
    urgent.refresh_from_db()
    relaxed.refresh_from_db()
    assert urgent.sla_due_at and relaxed.sla_due_at and urgent.sla_due_at < relaxed.sla_due_at
    # The window ends between the two due times: the urgent ticket falls due within it, the other after.
    window = (urgent.sla_due_at + (relaxed.sla_due_at - urgent.sla_due_at) / 2) - timezone.now()
    settings.SLA_BREACHING_SOON_MINUTES = window.total_seconds() / 60
    response = agent_client.get(f"{QUEUE}?queue=breaching")
    assert numbers(response) == [urgent.number], "only what falls due within the window"
    page = response.content.decode()
    assert "Time left" in page and "esm-time-left" in page and "text-bg-success" in page
    everything = agent_client.get(f"{QUEUE}?queue=open&ordering=sla_due")
    assert numbers(everything) == [urgent.number, relaxed.number], "soonest due first"
    Ticket.objects.filter(pk=urgent.pk).update(sla_due_at=None)  # no running clock: not in that order
    assert numbers(agent_client.get(f"{QUEUE}?queue=open&ordering=sla_due")) == [relaxed.number]


def test_time_left_in_the_queue_says_overdue_by_and_left():
    from servicedesk.templatetags.desk_format import duration

    assert [duration(s) for s in (59, 600, 3 * 3600 + 1200, 2 * 86400 + 3 * 3600, -2700, -8 * 3600, 0, None)] == [
        "< 1 min left", "10 min left", "3 h 20 min left", "51 h left", "overdue by 45 min", "overdue by 8 h",
        "overdue", ""]


def test_queue_row_shows_overdue_and_paused_in_words_not_glyphs():
    from types import SimpleNamespace

    from servicedesk.templatetags.desk_format import queue_row

    ticket = SimpleNamespace(kind="incident", number="INC0000001", title="t", assignee=None, priority=3,
                             requester=SimpleNamespace(display_name="Alice"),
                             team=None, service=None, opened_at=None, updated_at=None, state="on_hold",
                             incident=SimpleNamespace(major=False))
    sla = {"state": "paused", "remaining_seconds": -8 * 3600, "breached": True, "metric": "Resolution",
           "definition": "P3", "badge": "danger"}
    html = queue_row(desk_views.QueueRow(ticket=ticket, url="/x", state=None, priority_badge="info", sla=sla))
    assert "overdue by 8 h · paused" in html
    assert "\u23f8" not in html and "-8h" not in html


def test_rows_escape_what_people_typed(agent_client, make_incident, agent, team):
    make_incident(title='<script>alert("x")</script> & "quotes"', team=team, assignee=agent, actor=agent)
    page = agent_client.get(f"{QUEUE}?queue=open").content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &quot;quotes&quot;" in page


def test_time_left_badge_takes_the_sla_apps_colour_and_the_nearest_clock():
    def clock(state, remaining, colour="success", breached=False):
        return {"state": state, "remaining_seconds": remaining, "colour": colour, "breached": breached}

    nearest = desk_views.nearest_clock
    assert nearest([]) is None
    assert nearest([clock("running", 900, "orange"), clock("running", 60, "warning")])["badge"] == "warning"
    assert nearest([clock("running", 900, "orange")])["badge"] == "warning border border-danger"
    assert nearest([clock("running", -5, "orange")])["badge"] == "danger"
    assert nearest([clock("paused", 300), clock("stopped", -10, breached=True)])["badge"] == "secondary"
    assert nearest([clock("stopped", 10)]) is None
