"""The incident page's "Assign to me" keeps the team (or refuses), and cancelling asks for confirmation."""

import pytest
from django.urls import reverse

from accounts.factories import TeamFactory, UserFactory
from incidents import services
from incidents.choices import IncidentState
from servicedesk.choices import EventKind
from servicedesk.models import Comment, TimelineEntry

from .conftest import post_versioned
from .test_incident_actions import flashed, fresh, url

pytestmark = pytest.mark.django_db


# --- Assign to me ---------------------------------------------------------------------------


def test_assign_to_me_keeps_my_team_and_is_recorded_as_an_assignment(agent_client, incident, agent, team,
                                                                       other_team):
    TeamFactory(name="Another of mine", members=[agent])  # a second team must not attract the ticket
    response = post_versioned(agent_client, url("assign_to_me", incident), incident, prefix="me")
    assert response.status_code == 302 and "Assigned to you." in flashed(response)
    ticket = fresh(incident)
    assert (ticket.team, ticket.assignee) == (team, agent)
    last = TimelineEntry.objects.filter(ticket=ticket).order_by("-id").first()
    assert last.kind == EventKind.ASSIGNED
    assert not TimelineEntry.objects.filter(ticket=ticket, kind=EventKind.ESCALATED).exists()


def test_assign_to_me_on_another_teams_ticket_is_refused_with_the_way_forward(client, incident, other_agent,
                                                                             other_team):
    client.force_login(other_agent)  # in "Network", the ticket is with "Service Desk"
    response = post_versioned(client, url("assign_to_me", incident), incident, prefix="me")
    assert response.status_code == 302
    [message] = flashed(response)
    assert "belongs to Service Desk" in message and "Assign" in message
    ticket = fresh(incident)
    assert ticket.team.name == "Service Desk" and ticket.assignee is None and ticket.version == incident.version
    assert not TimelineEntry.objects.filter(ticket=ticket, kind__in=[EventKind.ESCALATED]).exists()


def test_assign_to_me_without_a_team_takes_my_only_team(make_incident, other_agent, other_team):
    ticket = make_incident(team=None)
    services.incident_assign_to_me(ticket=ticket, actor=other_agent)
    ticket = fresh(ticket)
    assert (ticket.team, ticket.assignee) == (other_team, other_agent)
    assert TimelineEntry.objects.filter(ticket=ticket, kind=EventKind.ASSIGNED).exists()


def test_assign_to_me_without_a_team_and_several_teams_asks_to_choose(make_incident, agent, team, other_team):
    other_team.members.add(agent)
    ticket = make_incident(team=None)
    with pytest.raises(services.DomainError) as exc:
        services.incident_assign_to_me(ticket=ticket, actor=agent)
    assert exc.value.code == "choose_team"


# --- Cancel ---------------------------------------------------------------------------------


def test_cancel_is_apart_from_the_other_steps(agent_client, incident):
    html = agent_client.get(reverse("desk-incidents:detail", args=[incident.number])).content.decode()
    actions = html[html.index('class="esm-actions"'):html.index("</header>")]
    danger = actions[actions.index("esm-danger-zone"):]
    assert 'value="cancelled"' in danger and 'name="confirmed" value="1"' in danger
    assert "Yes, cancel" in danger and 'name="note"' in danger
    assert 'value="cancelled"' not in actions[:actions.index("esm-danger-zone")], "not next to Resolve…"
    assert "btn-danger" in danger


def test_cancel_without_confirmation_goes_to_the_confirmation_page(agent_client, incident):
    response = post_versioned(agent_client, url("transition", incident), incident, {"to": "cancelled"})
    confirm = reverse("desk-incidents:confirm", args=[incident.number, "cancelled"])
    assert response.status_code == 302 and response["Location"] == confirm
    assert fresh(incident).state == IncidentState.NEW
    page = agent_client.get(confirm)
    html = page.content.decode()
    assert page.status_code == 200 and f"Cancel {incident.number}?" in html and "Keep it open" in html
    assert 'name="confirmed" value="1"' in html and "<script" not in html.split("</main>")[0].split("<main")[1]


def test_confirmed_cancel_with_a_reason(agent_client, incident):
    response = post_versioned(agent_client, url("transition", incident), incident,
                              {"to": "cancelled", "confirmed": "1", "note": "Raised twice by mistake."})
    assert response.status_code == 302
    ticket = fresh(incident)
    assert ticket.state == IncidentState.CANCELLED
    assert Comment.objects.filter(ticket=ticket, body="Raised twice by mistake.", public=True).exists()


def test_confirmation_page_for_a_step_not_offered_goes_back(agent_client, incident):
    response = agent_client.get(reverse("desk-incidents:confirm", args=[incident.number, "closed"]))
    assert response.status_code == 302 and "not available" in flashed(response)[0]
    assert agent_client.get(reverse("desk-incidents:confirm", args=[incident.number, "resolved"])).status_code == 302


def test_confirmation_page_in_korean(client, incident):
    korean = UserFactory(username="kim", roles=["Agent"], language="ko")
    client.force_login(korean)
    html = client.get(reverse("desk-incidents:confirm", args=[incident.number, "cancelled"])).content.decode()
    assert "취소할까요" in html and "예, INC" in html
