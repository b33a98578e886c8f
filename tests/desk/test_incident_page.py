"""The incident page: every field, only the allowed transitions, the full timeline."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents import services
from incidents.choices import IncidentState
from servicedesk import services as desk_services

pytestmark = pytest.mark.django_db


def page(client, ticket):
    response = client.get(reverse("desk-incidents:detail", args=[ticket.number]))
    assert response.status_code == 200
    return response.content.decode()


def transition_targets(html) -> set[str]:
    return set(re.findall(r'<input type="hidden" name="to" value="([a-z_]+)"', html))


def test_header_and_fields(agent_client, make_incident, requester, agent, team, service, category, server_ci):
    requester.phone = "+82 2 123 4567"
    requester.save()
    ticket = make_incident(title="VPN drops every hour", impact=1, urgency=1, actor=agent, team=team,
                           assignee=agent, service=service, category=category, channel="phone", cis=[server_ci])
    services.incident_set_major(ticket=ticket, actor=team.lead, major=True)
    ticket.watchers.add(agent)
    html = page(agent_client, ticket)
    for text in (ticket.number, "VPN drops every hour", "MAJOR INCIDENT", ">P1<", ">New<", "Alice Kim", "Finance",
                 "alice@example.com", "+82 2 123 4567", "Phone", "Network / VPN", "E-mail", "1 - High",
                 "Service Desk", "Lena Park", "Adam Choi", "mail-server-01", "Opened"):
        assert text in html, text


def test_only_allowed_transitions_are_buttons(agent_client, incident, agent):
    assert transition_targets(page(agent_client, incident)) == {"in_progress", "on_hold", "resolved", "cancelled"}
    services.incident_transition(ticket=incident, actor=agent, to=IncidentState.RESOLVED,
                                 resolution_code="solved_permanently", resolution_notes="Done.")
    html = page(agent_client, incident)
    assert transition_targets(html) == {"closed", "in_progress"}
    assert "Reopen" in html and "Confirm and close" in html and "Start work" not in html
    edit_url = reverse("desk-incidents:edit", args=[incident.number])
    assert f'action="{edit_url}"' not in html, "a finished incident is not edited"


def test_timeline_shows_everything_with_notes_and_replies_apart(agent_client, in_progress, agent, other_team,
                                                                server_ci):
    ticket = in_progress
    services.incident_comment(ticket=ticket, actor=agent, body="We are **on it**.", public=True)
    note = services.incident_comment(ticket=ticket, actor=agent, body="Checked <script>x</script> the logs.",
                                     public=False)
    desk_services.attachment_add(ticket=ticket, actor=agent, comment=note, public=False,
                                 upload=SimpleUploadedFile("trace.log", b"stack"))
    desk_services.time_entry_add(ticket=ticket, actor=agent, minutes=25, note="Call with the vendor.")
    services.incident_update(ticket=ticket, actor=agent, impact=1, title="Mail is down")
    services.incident_escalate(ticket=ticket, actor=agent, level="functional", team=other_team, reason="Network")
    desk_services.ticket_link_cis(ticket=ticket, actor=agent, cis=[server_ci])
    html = page(agent_client, ticket)
    timeline = html[html.index('id="timeline"'):]
    assert 'esm-entry esm-reply' in timeline and 'esm-entry esm-note' in timeline
    assert "<strong>on it</strong>" in timeline
    assert "<script>x</script>" not in timeline, "Markdown is sanitised"
    assert "trace.log" in timeline and "/attachments/" in timeline
    assert "recorded 25 min of work" in timeline
    assert "In progress" in timeline and "opened the incident" in timeline
    assert "Mail is slow</del> → Mail is down" in timeline
    assert "3 - Low (one person)</del> → 1 - High" in timeline
    assert "escalated it" in timeline and "Network" in timeline
    assert "linked the configuration item" in timeline
    assert "25 min" in html[html.index("Time worked"):], "time worked per agent"
    # Newest first.
    assert timeline.index("linked the configuration item") < timeline.index("opened the incident")


def test_timeline_partial(agent_client, in_progress):
    response = agent_client.get(reverse("desk-incidents:timeline", args=[in_progress.number]),
                                HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="timeline"') and "navbar" not in html
    assert '<dd id="time-worked" hx-swap-oob="true">' in html, "time worked follows a new work note"


def test_parent_children_and_merge_shown(agent_client, make_incident, agent):
    parent = make_incident(title="Parent")
    child = make_incident(title="Child")
    duplicate = make_incident(title="Dup")
    services.incident_set_parent(ticket=child, actor=agent, parent=parent)
    services.incident_merge(ticket=duplicate, actor=agent, into=parent)
    html = page(agent_client, parent)
    assert child.number in html and duplicate.number in html
    html = page(agent_client, duplicate)
    assert "Merged into" in html and parent.number in html


def test_detail_query_count_does_not_grow_with_the_timeline(agent_client, in_progress, agent):
    def measure():
        with CaptureQueriesContext(connection) as ctx:
            agent_client.get(reverse("desk-incidents:detail", args=[in_progress.number]))
        return len(ctx.captured_queries)

    measure()  # per-process caches: the SLA calendar, the affected services
    for i in range(3):
        services.incident_comment(ticket=in_progress, actor=agent, body=f"note {i}", public=bool(i % 2))
    few = measure()
    for i in range(30):
        services.incident_comment(ticket=in_progress, actor=agent, body=f"note {i}", public=bool(i % 2))
    assert measure() == few
