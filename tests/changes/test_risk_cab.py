"""Risk scoring, CAB routing, separation of duties through the process hook, and the risk kept with decisions."""

import pytest

from changes import services
from changes.cab import steps_for
from changes.choices import ChangeState as S
from changes.choices import ChangeType, ImplementationOutcome, LinkRelation, RiskLevel
from changes.models import CabRule, ChangeLink, RiskQuestion
from changes.risk import level_for, reason_text
from cmdb.factories import CIFactory, RelationshipFactory, ServiceFactory
from servicedesk.approvals import ApprovalRefused
from servicedesk.models import ApprovalDecision, ApprovalStep

pytestmark = pytest.mark.django_db


def safe_answers():
    return {str(q.pk): not q.risky_answer for q in RiskQuestion.objects.filter(active=True)}


def test_levels():
    assert [level_for(s) for s in (0, 19, 20, 39, 40, 59, 60, 100)] == [
        "low", "low", "medium", "medium", "high", "high", "very_high", "very_high"]


def test_questionnaire_answers_change_the_score(make_change, agent):
    ticket = make_change()
    unanswered = ticket.change.risk_score
    assert {r["code"] for r in ticket.change.risk_reasons} == {"unanswered"}
    ticket = services.change_set_risk_answers(ticket=ticket, actor=agent, answers=safe_answers())
    ticket.change.refresh_from_db()
    assert ticket.change.risk_score == 0 < unanswered and ticket.change.risk_level == RiskLevel.LOW
    outage = RiskQuestion.objects.get(text__startswith="Does the change need an outage")
    services.change_set_risk_answers(ticket=ticket, actor=agent, answers={**safe_answers(), str(outage.pk): True})
    ticket.change.refresh_from_db()
    assert ticket.change.risk_score == outage.weight
    assert reason_text(ticket.change.risk_reasons[0]) == "“Does the change need an outage?”: yes"


def test_bad_answers_are_a_field_error(make_change, agent):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as bad:
        services.change_set_risk_answers(ticket=make_change(), actor=agent, answers={"99999": True})
    assert "answers" in bad.value.message_dict


def test_blast_radius_through_the_cmdb_counts_critical_services(make_change, agent):
    server = CIFactory(name="db-01")
    app = CIFactory(name="payroll-app")
    payroll = ServiceFactory(name="Payroll", criticality=1)
    RelationshipFactory(source=app, target=server)
    RelationshipFactory(source=payroll, target=app)
    ticket = make_change(cis=[server], risk_answers=safe_answers())
    reasons = {r["code"]: r for r in ticket.change.risk_reasons}
    assert reasons["services_endangered"]["params"]["count"] == 1
    assert reasons["services_endangered"]["params"]["critical"] == 1
    assert reasons["services_endangered"]["points"] == 15
    assert reason_text(reasons["services_endangered"]) == "Endangers 1 business service (1 critical)"
    # Recomputed when the CIs change.
    services.change_update(ticket=ticket, actor=agent, cis=[])
    ticket.change.refresh_from_db()
    assert "services_endangered" not in {r["code"] for r in ticket.change.risk_reasons}


def test_history_of_failed_changes_and_caused_incidents_adds_risk(make_change, make_incident, agent, ci):
    earlier = make_change(cis=[ci])
    earlier.change.outcome = ImplementationOutcome.ROLLED_BACK
    earlier.change.save()
    ChangeLink.objects.create(change=earlier.change, ticket=make_incident(), relation=LinkRelation.CAUSED)
    ticket = make_change(cis=[ci], risk_answers=safe_answers())
    codes = {r["code"]: r for r in ticket.change.risk_reasons}
    assert codes["failed_before"]["params"]["count"] == 1
    assert codes["caused_incidents"]["params"]["count"] == 1
    assert ticket.change.risk_score == 20


def test_cab_routing_by_type_risk_and_service(make_change, cab, ecab, chair, service):
    high_cab = type(cab).objects.create(name="Architecture board")
    high_cab.members.set([chair])
    CabRule.objects.create(change_type=ChangeType.NORMAL, group=cab, order=1)
    CabRule.objects.create(change_type=ChangeType.NORMAL, group=high_cab, min_risk_level=RiskLevel.HIGH, order=2)
    email_board = type(cab).objects.create(name="E-mail owners")
    email_board.members.set([chair])
    CabRule.objects.create(change_type=ChangeType.NORMAL, group=email_board, service=service, order=3)
    CabRule.objects.create(change_type=ChangeType.EMERGENCY, group=ecab)

    ticket = make_change(risk_answers=safe_answers())
    assert [s.name for s in steps_for(ticket, ticket.change, [])] == ["CAB"]
    ticket.change.risk_level = RiskLevel.HIGH
    ticket.service = service
    assert [s.name for s in steps_for(ticket, ticket.change, [])] == ["CAB", "Architecture board", "E-mail owners"]
    ticket.change.risk_level = RiskLevel.VERY_HIGH
    steps = steps_for(ticket, ticket.change, [])
    assert steps[-1].users == (chair.pk,) and steps[-1].policy == "all"
    ticket.change.change_type = ChangeType.EMERGENCY
    ticket.change.risk_level = RiskLevel.LOW
    assert [s.name for s in steps_for(ticket, ticket.change, [])] == ["Emergency CAB"]


def test_requester_and_implementer_may_not_approve(make_change, agent, team, cab, cab_rules, cab_members, window):
    implementer = cab_members[0]
    team.members.add(implementer)
    ticket = make_change(planned_start=window[0], planned_end=window[1], assignee=implementer)
    ticket = services.change_transition(ticket=ticket, actor=agent, to=S.ASSESSMENT)
    ticket = services.change_transition(ticket=ticket, actor=agent, to=S.AUTHORIZATION)
    step = ApprovalStep.objects.get(ticket=ticket)
    assert implementer.pk not in set(step.votes.values_list("approver_id", flat=True))
    with pytest.raises(ApprovalRefused):
        services.change_vote(ticket=ticket, actor=implementer, decision="approve")
    # A requester on the CAB is left out too.
    assert services.approval_excluded(ticket) == {agent.pk, implementer.pk}


def test_the_risk_at_decision_time_is_kept(make_change, agent, cab_rules, cab_members, window, ci):
    ticket = make_change(planned_start=window[0], planned_end=window[1])
    ticket = services.change_transition(ticket=ticket, actor=agent, to=S.ASSESSMENT)
    ticket = services.change_transition(ticket=ticket, actor=agent, to=S.AUTHORIZATION)
    level_then = ApprovalStep.objects.get(ticket=ticket).context["risk"]["score"]
    services.change_set_risk_answers(ticket=ticket, actor=agent, answers=safe_answers())
    services.change_vote(ticket=ticket, actor=cab_members[0], decision="approve")
    decision = ApprovalDecision.objects.get(step__ticket=ticket)
    assert decision.context["risk"]["score"] == 0 != level_then
