"""Approval events on a process's timeline (facts, read in each reader's language), and the admin.

An incident has no approval hooks: the engine works for it all the same.
"""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import translation

from accounts import roles
from accounts.factories import UserFactory
from servicedesk.approvals import StepSpec, approval_cancel, approval_request, approval_vote
from servicedesk.models import ApprovalDecision, ApprovalStep, ApproverGroup
from tests.conftest import api_client_for


@pytest.fixture
def incident(make_incident, service):
    return make_incident(title="Mail is down", impact=2, urgency=2, service=service)


@pytest.fixture
def decided(incident, agent, other_agent, lead):
    approval_request(actor=agent, ticket=incident, steps=[StepSpec("Lead", "any", users=[lead, other_agent])])
    approval_vote(actor=lead, ticket=incident, decision="reject", comment="Not now", on_behalf_of=None)
    approval_vote(actor=other_agent, ticket=incident, decision="reject", comment="Agreed")
    return incident


def test_incident_page_shows_the_approval_events_in_the_readers_language(client, decided, agent):
    client.force_login(agent)
    page = client.get(f"/desk/incidents/{decided.number}/").content.decode()
    assert "requested approval: Lead (Any one)" in page
    assert "rejected “Lead” — Not now" in page
    assert "completed the step “Lead”: rejected" in page and "decided the approval: rejected" in page
    agent.language = "ko"
    agent.save(update_fields=["language"])
    with translation.override("ko"):
        page = client.get(f"/desk/incidents/{decided.number}/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "승인 요청" in page


def test_api_timeline_gives_facts_and_a_summary(decided, agent):
    rows = api_client_for(agent).get(f"/api/v1/incidents/{decided.number}/timeline/").json()["results"]
    vote = next(r for r in rows if r["kind"] == "approval_vote")
    assert vote["data"]["decision"] == "reject" and vote["data"]["step"] == "Lead"
    assert vote["data"]["summary"] == "rejected “Lead” — Not now"


def test_cancel_and_new_round_on_the_timeline(incident, agent, lead, client):
    approval_request(actor=agent, ticket=incident, steps=[StepSpec("Lead", "any", users=[lead])])
    approval_request(actor=agent, ticket=incident, steps=[StepSpec("Lead", "any", users=[lead])])
    approval_cancel(actor=agent, ticket=incident, reason="Fixed without a change")
    client.force_login(agent)
    page = client.get(f"/desk/incidents/{incident.number}/").content.decode()
    assert "replaced approval round 1 with a new one" in page
    assert "cancelled approval round 2 — Fixed without a change" in page


def test_decide_for_others_is_an_administrators_permission(db):
    admin = UserFactory(username="boss", roles=[roles.ADMINISTRATOR])
    agent = UserFactory(username="plain", roles=[roles.AGENT])
    assert admin.has_perm("servicedesk.decide_for_others") and not agent.has_perm("servicedesk.decide_for_others")
    assert Group.objects.get(name=roles.ADMINISTRATOR).permissions.filter(codename="decide_for_others").exists()


def test_admin_edits_groups_and_shows_steps_and_decisions_read_only(admin_client, decided, lead, agent):
    response = admin_client.post(reverse("admin:servicedesk_approvergroup_add"), {
        "name": "Emergency CAB", "description": "", "chair": lead.pk, "members": [lead.pk, agent.pk],
        "active": "on"})
    assert response.status_code == 302
    group = ApproverGroup.objects.get(name="Emergency CAB")
    assert set(group.members.all()) == {lead, agent}
    assert "Emergency CAB" in admin_client.get(reverse("admin:servicedesk_approvergroup_changelist")).content.decode()
    step = ApprovalStep.objects.get()
    page = admin_client.get(reverse("admin:servicedesk_approvalstep_change", args=[step.pk])).content.decode()
    assert "Not now" in page and "Agreed" in page
    decision = ApprovalDecision.objects.first()
    assert admin_client.get(reverse("admin:servicedesk_approvaldecision_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:servicedesk_approvaldecision_change", args=[decision.pk])).status_code == 200
    assert admin_client.post(reverse("admin:servicedesk_approvaldecision_delete", args=[decision.pk]),
                             {"post": "yes"}).status_code == 403
