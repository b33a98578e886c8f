"""Opening an incident on behalf of a caller (phone channel by default)."""

import pytest
from django.urls import reverse

from incidents.choices import IncidentState
from servicedesk.models import Ticket

pytestmark = pytest.mark.django_db

CREATE = reverse("desk-incidents:create")


def form_data(**overrides):
    data = {"channel": "phone", "title": "Cannot print", "description": "Printer on floor 3", "impact": 3,
            "urgency": 2, "category": "", "service": "", "team": "", "assignee": "", "requester_q": ""}
    data.update(overrides)
    return data


def test_form_defaults_to_the_phone_channel(agent_client):
    html = agent_client.get(CREATE).content.decode()
    assert '<option value="phone" selected>' in html
    assert reverse("desk:user_lookup") in html, "the caller picker searches as you type"


def test_open_on_behalf_of_a_caller(agent_client, agent, requester, team, service, category):
    response = agent_client.post(CREATE, form_data(requester=requester.pk, team=team.pk, assignee=agent.pk,
                                                   service=service.pk, category=category.pk, impact=1, urgency=1))
    ticket = Ticket.objects.select_related("incident").get()
    assert response.status_code == 302
    assert response["Location"] == reverse("desk-incidents:detail", args=[ticket.number])
    assert ticket.requester == requester and ticket.assignee == agent and ticket.team == team
    assert ticket.incident.channel == "phone" and ticket.priority == 1 and ticket.state == IncidentState.NEW
    assert ticket.timeline.filter(kind="created", actor=agent).exists(), "the agent is the actor"


def test_missing_caller_lists_the_matches(agent_client, requester):
    response = agent_client.post(CREATE, form_data(requester_q="alice"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Search for the caller and pick them." in html
    assert f'name="requester" value="{requester.pk}"' in html
    assert 'value="Cannot print"' in html, "what was typed is kept"
    assert not Ticket.objects.exists()


def test_find_button_looks_up_without_validating(agent_client, requester):
    response = agent_client.post(CREATE, form_data(requester_q="kim", title="", find="1"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Alice Kim" in html and "This field is required." not in html


def test_service_errors_become_form_errors(agent_client, requester, other_team, agent):
    response = agent_client.post(CREATE, form_data(requester=requester.pk, team=other_team.pk, assignee=agent.pk))
    assert response.status_code == 400
    assert "is not a member of Network" in response.content.decode()
    assert not Ticket.objects.exists()
    response = agent_client.post(CREATE, form_data(requester=requester.pk, assignee=agent.pk))
    assert response.status_code == 400 and "Choose the team before the assignee." in response.content.decode()


def test_disabled_caller_is_refused(agent_client, requester):
    requester.is_active = False
    requester.save()
    response = agent_client.post(CREATE, form_data(requester=requester.pk))
    assert response.status_code == 400
    assert not Ticket.objects.exists()
