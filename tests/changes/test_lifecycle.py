"""Each change type's lifecycle, its guards (and overrides), and the CAB decision moving the change."""

from datetime import timedelta

import pytest
from django.utils import timezone

from changes import services
from changes.choices import ChangeState as S
from changes.choices import ChangeType
from changes.workflow import WORKFLOWS
from esm.errors import DomainError, NotPermitted, TransitionNotAllowed
from servicedesk.models import ApprovalStep, TimelineEntry

pytestmark = pytest.mark.django_db


def move(ticket, actor, to, **kwargs):
    return services.change_transition(ticket=ticket, actor=actor, to=to, **kwargs)


def approve_all(ticket, voters):
    for voter in voters:
        step = ApprovalStep.objects.filter(ticket=ticket, state="pending").first()
        if step is None:
            break
        if step.votes.filter(approver=voter, state="pending").exists():
            services.change_vote(ticket=ticket, actor=voter, decision="approve")
    ticket.refresh_from_db()
    return ticket


def test_every_type_has_its_table():
    assert [s.value for s in WORKFLOWS[ChangeType.NORMAL].states][:7] == [
        S.NEW, S.ASSESSMENT, S.AUTHORIZATION, S.SCHEDULED, S.IMPLEMENTING, S.REVIEW, S.CLOSED]
    assert S.ASSESSMENT not in {s.value for s in WORKFLOWS[ChangeType.EMERGENCY].states}
    assert S.AUTHORIZATION not in {s.value for s in WORKFLOWS[ChangeType.STANDARD].states}


def test_normal_change_from_new_to_closed(make_change, agent, cab_rules, cab_members, window, monkeypatch):
    ticket = make_change(planned_start=window[0], planned_end=window[1])
    ticket = move(ticket, agent, S.ASSESSMENT)
    ticket = move(ticket, agent, S.AUTHORIZATION)
    assert ticket.state == S.AUTHORIZATION
    step = ApprovalStep.objects.get(ticket=ticket)
    assert step.name == "CAB" and step.context["risk"]["level"]
    ticket = approve_all(ticket, cab_members)
    assert ticket.state == S.SCHEDULED  # approved with a window: the system schedules it
    entry = TimelineEntry.objects.filter(ticket=ticket, kind="state").last()
    assert entry.actor is None and entry.data["note_code"] == "change_approved"

    # The window has not started: only an override would start it.
    with pytest.raises(DomainError) as refused:
        move(ticket, agent, S.IMPLEMENTING)
    assert refused.value.code == "guard_failed" and refused.value.extra["missing"] == ["window_started"]
    later = timezone.now() + timedelta(days=2, minutes=5)
    monkeypatch.setattr(timezone, "now", lambda: later)
    ticket = move(ticket, agent, S.IMPLEMENTING)
    assert ticket.change.actual_start == later
    ticket = move(ticket, agent, S.REVIEW, outcome="successful")
    with pytest.raises(DomainError) as refused:
        move(ticket, agent, S.CLOSED)
    assert refused.value.extra["missing"] == ["review", "lessons_learned"]
    ticket = move(ticket, agent, S.CLOSED, review_notes="Went to plan.")
    assert ticket.state == S.CLOSED and not ticket.active
    assert ticket.change.reviewed_by == agent


def test_failed_implementation_goes_to_review_and_is_reviewed(make_change, agent, manager, template, started_window):
    ticket = services.change_create(actor=agent, template=template, planned_start=started_window[0])
    ticket = move(ticket, agent, S.SCHEDULED)
    ticket = move(ticket, agent, S.IMPLEMENTING)
    with pytest.raises(Exception) as missing:
        move(ticket, agent, S.REVIEW)
    assert "outcome" in missing.value.message_dict
    ticket = move(ticket, agent, S.REVIEW, outcome="rolled_back")
    assert ticket.change.outcome == "rolled_back" and ticket.change.actual_end
    with pytest.raises(DomainError):
        move(ticket, agent, S.CLOSED)  # a rollback needs its lessons
    services.change_record_review(ticket=ticket, actor=agent, review_notes="The database migration timed out.")
    assert move(ticket, agent, S.CLOSED).state == S.CLOSED


def test_standard_change_skips_the_cab_and_closes_without_lessons_when_successful(agent, template,
                                                                                   started_window):
    ticket = services.change_create(actor=agent, template=template, planned_start=started_window[0])
    assert ticket.change.change_type == ChangeType.STANDARD
    assert ticket.change.planned_end == started_window[0] + timedelta(minutes=90)
    for target in (S.SCHEDULED, S.IMPLEMENTING):
        ticket = move(ticket, agent, target)
    ticket = move(ticket, agent, S.REVIEW, outcome="successful")
    assert move(ticket, agent, S.CLOSED).state == S.CLOSED
    assert not ApprovalStep.objects.filter(ticket=ticket).exists()


def test_scheduling_needs_a_window(agent, template):
    ticket = services.change_create(actor=agent, template=template)
    with pytest.raises(DomainError) as refused:
        move(ticket, agent, S.SCHEDULED)
    assert refused.value.extra["missing"] == ["planned_window"]
    assert "planned window" in refused.value.detail


def test_emergency_change_goes_to_the_emergency_cab_and_starts_on_approval(make_change, agent, manager, chair,
                                                                           cab_rules, ecab, started_window):
    ticket = make_change(change_type=ChangeType.EMERGENCY, planned_start=started_window[0],
                         planned_end=started_window[1])
    ticket = move(ticket, agent, S.AUTHORIZATION)
    step = ApprovalStep.objects.get(ticket=ticket)
    assert step.name == "Emergency CAB"
    services.change_vote(ticket=ticket, actor=chair, decision="approve")
    ticket.refresh_from_db()
    assert ticket.state == S.IMPLEMENTING
    ticket = move(ticket, agent, S.REVIEW, outcome="successful")
    with pytest.raises(DomainError) as refused:
        move(ticket, agent, S.CLOSED)  # an emergency change's review is mandatory
    assert "lessons_learned" in refused.value.extra["missing"]


def test_approved_emergency_before_its_window_waits(make_change, agent, chair, cab_rules, window,
                                                     django_capture_on_commit_callbacks, mailoutbox):
    ticket = make_change(change_type=ChangeType.EMERGENCY, planned_start=window[0], planned_end=window[1])
    ticket = move(ticket, agent, S.AUTHORIZATION)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_vote(ticket=ticket, actor=chair, decision="approve")
    ticket.refresh_from_db()
    assert ticket.state == S.AUTHORIZATION
    assert services.approval_outcome(ticket) == "approved"
    assert any("Approved, waiting" in m.subject for m in mailoutbox)


def test_cab_rejection_rejects_the_change(make_change, agent, cab_rules, cab_members, chair, window):
    ticket = make_change(planned_start=window[0], planned_end=window[1])
    ticket = move(move(ticket, agent, S.ASSESSMENT), agent, S.AUTHORIZATION)
    for member in [*cab_members, chair]:  # "any one" approves; it is rejected when every member rejects
        services.change_vote(ticket=ticket, actor=member, decision="reject", comment="Too risky this week.")
    ticket.refresh_from_db()
    assert ticket.state == S.REJECTED and not ticket.active


def test_cancelling_in_authorization_cancels_the_approval(make_change, agent, cab_rules, window):
    ticket = make_change(planned_start=window[0], planned_end=window[1])
    ticket = move(move(ticket, agent, S.ASSESSMENT), agent, S.AUTHORIZATION)
    ticket = move(ticket, agent, S.CANCELLED, reason="No longer needed")
    assert ApprovalStep.objects.get(ticket=ticket).state == "cancelled"


def test_authorization_needs_plans_and_a_cab_rule(make_change, agent, cab_rules):
    ticket = move(make_change(backout_plan=""), agent, S.ASSESSMENT)
    with pytest.raises(DomainError) as refused:
        move(ticket, agent, S.AUTHORIZATION)
    assert refused.value.extra["missing"] == ["plans"]


def test_no_matching_cab_rule_refuses_authorization(make_change, agent):
    ticket = move(make_change(), agent, S.ASSESSMENT)
    with pytest.raises(DomainError) as refused:
        move(ticket, agent, S.AUTHORIZATION)
    assert refused.value.extra["missing"] == ["cab_rule"]


def test_moves_outside_the_table_are_refused(make_change, agent):
    ticket = make_change()
    with pytest.raises(TransitionNotAllowed) as refused:
        move(ticket, agent, S.IMPLEMENTING)
    assert S.ASSESSMENT in refused.value.allowed


def test_only_change_managers_reject_and_override(make_change, agent, manager, started_window):
    ticket = make_change(planned_start=started_window[0], planned_end=started_window[1])
    with pytest.raises(NotPermitted):
        move(ticket, agent, S.REJECTED, reason="Not needed")
    assert move(ticket, manager, S.REJECTED, reason="Duplicate of CHG1").state == S.REJECTED


def test_manager_override_starts_an_unauthorised_change_and_is_recorded(make_change, agent, manager,
                                                                       cab_rules, cab_members, window):
    ticket = make_change(planned_start=window[0], planned_end=window[1])
    ticket = move(move(ticket, agent, S.ASSESSMENT), agent, S.AUTHORIZATION)
    approve_all(ticket, cab_members)
    ticket.refresh_from_db()
    assert ticket.state == S.SCHEDULED
    with pytest.raises(NotPermitted):
        move(ticket, agent, S.IMPLEMENTING, override_reason="Vendor on site today")
    ticket = move(ticket, manager, S.IMPLEMENTING, override_reason="Vendor on site today")
    entry = TimelineEntry.objects.filter(ticket=ticket, kind="state").last()
    assert entry.data["note_code"] == "override_start"
    assert entry.data["note_params"] == {"reason": "Vendor on site today", "guards": ["window_started"]}


def test_freeze_window_needs_a_managers_override_to_schedule(agent, manager, template, window):
    from changes.models import FreezeWindow

    FreezeWindow.objects.create(name="Year-end freeze", starts_at=window[0] - timedelta(days=1),
                                ends_at=window[1] + timedelta(days=1))
    ticket = services.change_create(actor=agent, template=template, planned_start=window[0])
    with pytest.raises(DomainError) as refused:
        move(ticket, agent, S.SCHEDULED)
    assert refused.value.extra["missing"] == ["freeze_override"]
    assert refused.value.extra["freeze_windows"][0]["name"] == "Year-end freeze"
    ticket = move(ticket, manager, S.SCHEDULED, override_reason="Security fix approved by the CIO")
    entry = TimelineEntry.objects.filter(ticket=ticket, kind="state").last()
    assert entry.data["note_code"] == "override_freeze"


def test_available_actions_offer_only_allowed_moves(make_change, agent, manager, window):
    ticket = make_change(planned_start=window[0], planned_end=window[1])
    ticket.change.refresh_from_db()
    names = {a["target"] for a in services.available_actions(ticket, agent)}
    assert names == {S.ASSESSMENT, S.CANCELLED}
    names = {a["target"] for a in services.available_actions(ticket, manager)}
    assert names == {S.ASSESSMENT, S.CANCELLED, S.REJECTED}


def test_state_changes_notify_manager_and_implementer_after_commit(make_change, agent, other_agent, manager, team,
                                                                   django_capture_on_commit_callbacks, mailoutbox):
    ticket = make_change(assignee=agent)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        move(ticket, other_agent, S.ASSESSMENT)
    assert mailoutbox == []  # nothing sent before the commit
    for callback in callbacks:
        callback()
    assert [m.to for m in mailoutbox] == [[manager.email]]
    assert "Assessment" in mailoutbox[0].subject


def test_moving_a_scheduled_change_into_a_freeze_needs_an_override(agent, manager, template, window):
    from changes.models import FreezeWindow

    ticket = services.change_create(actor=agent, template=template, planned_start=window[0])
    ticket = move(ticket, agent, S.SCHEDULED)
    later = window[0] + timedelta(days=10)
    FreezeWindow.objects.create(name="Quarter close", starts_at=later - timedelta(hours=1),
                                ends_at=later + timedelta(days=1))
    with pytest.raises(DomainError) as refused:  # rescheduled into the freeze: checked again
        services.change_update(ticket=ticket, actor=agent, planned_start=later, planned_end=later + timedelta(hours=1))
    assert refused.value.extra["missing"] == ["freeze_override"]
    ticket.change.refresh_from_db()
    assert ticket.change.planned_start == window[0], "nothing written"
    with pytest.raises(NotPermitted):  # only change managers override
        services.change_update(ticket=ticket, actor=agent, planned_start=later, planned_end=later + timedelta(hours=1),
                               override_reason="Please")
    ticket = services.change_update(ticket=ticket, actor=manager, planned_start=later,
                                    planned_end=later + timedelta(hours=1), override_reason="Board approved")
    entry = TimelineEntry.objects.filter(ticket=ticket, kind="fields").last()
    assert entry.data["note_code"] == "override_freeze" and entry.data["note_params"]["reason"] == "Board approved"
    # Moving it within clear days needs nothing.
    clear = window[0] + timedelta(days=3)
    services.change_update(ticket=ticket, actor=agent, planned_start=clear, planned_end=clear + timedelta(hours=1))
