"""Raising a change in the console: from scratch, from a standard template, from an incident."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from changes.choices import ChangeType, LinkRelation
from changes.models import ChangeLink
from servicedesk.choices import TicketKind
from servicedesk.models import Ticket

pytestmark = pytest.mark.django_db

CREATE = reverse("desk-changes:create")


def local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def form_data(**overrides) -> dict:
    start = timezone.now() + timedelta(days=4)
    data = {"change_type": ChangeType.NORMAL, "title": "Replace the core switch", "description": "",
            "reason": "capacity", "justification": "The old one is out of support",
            "implementation_plan": "Swap at night", "backout_plan": "Put the old one back", "test_plan": "",
            "service": "", "team": "", "assignee": "", "change_manager": "",
            "planned_start": local(start), "planned_end": local(start + timedelta(hours=2))}
    data.update(overrides)
    return data


def test_from_scratch(agent_client, agent, ci, manager, team):
    html = agent_client.get(CREATE).content.decode()
    assert "Risk questionnaire" in html and 'name="planned_start"' in html
    response = agent_client.post(CREATE, form_data(cis=[ci.pk], change_manager=manager.pk, team=team.pk))
    assert response.status_code == 302
    ticket = Ticket.objects.get(kind=TicketKind.CHANGE)
    assert response["Location"] == reverse("desk-changes:detail", args=[ticket.number])
    assert ticket.change.change_manager == manager and ticket.requester == agent
    assert ticket.ci_links.filter(ci=ci).exists()
    assert ticket.change.planned_start is not None and ticket.change.risk_level


def test_field_errors_keep_the_input(agent_client, ci):
    start = timezone.now() + timedelta(days=4)
    response = agent_client.post(CREATE, form_data(title="", cis=[ci.pk], planned_start=local(start),
                                                   planned_end=local(start - timedelta(hours=1))))
    assert response.status_code == 400
    html = response.content.decode()
    assert "The planned end must be after the planned start." in html
    assert "The old one is out of support" in html and "mail-01" in html, "the input and the picked CIs stay"
    assert not Ticket.objects.filter(kind=TicketKind.CHANGE).exists()
    response = agent_client.post(CREATE, form_data(change_type=ChangeType.STANDARD))
    assert response.status_code == 400 and "standard change template" in response.content.decode()


def test_a_change_manager_must_be_one(agent_client, other_agent):
    response = agent_client.post(CREATE, form_data(change_manager=other_agent.pk))
    assert response.status_code == 400
    assert "is not a change manager" in response.content.decode()


def test_from_a_standard_template(agent_client, template):
    picker = agent_client.get(reverse("desk-changes:templates")).content.decode()
    assert template.name in picker and f"?template={template.pk}" in picker
    html = agent_client.get(CREATE, {"template": template.pk}).content.decode()
    assert "Monthly OS patches" in html and "apt upgrade; reboot" in html and "no CAB" in html
    response = agent_client.post(CREATE, form_data(template=template.pk, title="Monthly OS patches",
                                                   change_type=ChangeType.NORMAL))
    assert response.status_code == 302
    change = Ticket.objects.get(kind=TicketKind.CHANGE).change
    assert change.change_type == ChangeType.STANDARD and change.template == template
    assert agent_client.get(CREATE, {"template": 999999}).status_code == 404


def test_from_an_incident_linked_both_ways(agent_client, agent, make_incident, server_ci, service):
    incident = make_incident(title="Mail queue stuck", service=service, cis=[server_ci], actor=agent)
    html = agent_client.get(reverse("desk-incidents:detail", args=[incident.number])).content.decode()
    raise_url = f"{CREATE}?incident={incident.number}"
    assert raise_url in html, "the incident page's Raise a change"
    html = agent_client.get(raise_url).content.decode()
    assert "Mail queue stuck" in html and server_ci.name in html
    response = agent_client.post(CREATE, form_data(incident=incident.number, title="Mail queue stuck",
                                                   cis=[server_ci.pk], service=service.pk))
    assert response.status_code == 302
    change = Ticket.objects.get(kind=TicketKind.CHANGE).change
    assert ChangeLink.objects.filter(change=change, ticket=incident, relation=LinkRelation.ADDRESSES).exists()
    assert agent_client.get(CREATE, {"incident": "INC9999999"}).status_code == 404


@pytest.fixture
def server_ci(db):
    from cmdb.factories import CIFactory

    return CIFactory(name="mail-relay-01")


def test_requesters_cannot_raise_changes(client, requester):
    client.force_login(requester)
    assert client.get(CREATE).status_code == 302
    assert client.post(CREATE, form_data()).status_code == 302
    assert not Ticket.objects.filter(kind=TicketKind.CHANGE).exists()
