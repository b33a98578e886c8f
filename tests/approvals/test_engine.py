"""The approval engine's rules, on the test-only "purchases" process (conftest.py)."""

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts import roles
from accounts.factories import UserFactory
from servicedesk import approvals, signals
from servicedesk.approvals import StepSpec, approval_cancel, approval_request, approval_vote
from servicedesk.models import ApprovalDecision, ApprovalStep, ApprovalVote, Notification, TimelineEntry


def states(step):
    return sorted(step.votes.values_list("approver__username", "state"))


def ask(ticket, actor, *specs):
    return approval_request(actor=actor, ticket=ticket, steps=list(specs))


@pytest.fixture
def people(db):
    return [UserFactory(username=f"p{i}", roles=[roles.AGENT]) for i in range(1, 6)]


# --- Policies -------------------------------------------------------------------------------


def test_all_approved_when_everyone_approves(purchase, other_agent, people, purchases):
    step, = ask(purchase, other_agent, StepSpec("Budget", "all", users=people[:3]))
    for person in people[:2]:
        approval_vote(actor=person, ticket=purchase, decision="approve")
        step.refresh_from_db()
        assert step.state == "pending"
    approval_vote(actor=people[2], ticket=purchase, decision="approve")
    step.refresh_from_db()
    assert step.state == "approved" and step.decided_at
    purchase.refresh_from_db()
    assert purchase.state == "ordered"
    assert purchases == [(purchase.number, "approved", people[2].pk, True)]


def test_all_rejected_on_first_rejection_and_others_not_required(purchase, other_agent, people):
    step, = ask(purchase, other_agent, StepSpec("Budget", "all", users=people[:3]))
    approval_vote(actor=people[0], ticket=purchase, decision="approve")
    approval_vote(actor=people[1], ticket=purchase, decision="reject", comment="Too dear")
    step.refresh_from_db()
    assert step.state == "rejected"
    assert states(step) == [("p1", "approved"), ("p2", "rejected"), ("p3", "not_required")]
    purchase.refresh_from_db()
    assert purchase.state == "refused"


def test_any_approved_on_first_approval(purchase, other_agent, people):
    step, = ask(purchase, other_agent, StepSpec("Manager", "any", users=people[:3]))
    approval_vote(actor=people[1], ticket=purchase, decision="approve")
    step.refresh_from_db()
    assert step.state == "approved"
    assert states(step) == [("p1", "not_required"), ("p2", "approved"), ("p3", "not_required")]


def test_any_rejected_only_when_all_rejected(purchase, other_agent, people):
    step, = ask(purchase, other_agent, StepSpec("Manager", "any", users=people[:2]))
    approval_vote(actor=people[0], ticket=purchase, decision="reject", comment="No")
    step.refresh_from_db()
    assert step.state == "pending"
    approval_vote(actor=people[1], ticket=purchase, decision="reject", comment="No either")
    step.refresh_from_db()
    assert step.state == "rejected"


def test_quorum_approved_at_n(purchase, other_agent, people):
    step, = ask(purchase, other_agent, StepSpec("Board", "quorum", threshold=2, users=people[:4]))
    approval_vote(actor=people[0], ticket=purchase, decision="approve")
    approval_vote(actor=people[1], ticket=purchase, decision="reject", comment="Hmm")
    step.refresh_from_db()
    assert step.state == "pending"
    approval_vote(actor=people[2], ticket=purchase, decision="approve")
    step.refresh_from_db()
    assert step.state == "approved"
    assert dict(states(step))["p4"] == "not_required"


def test_quorum_rejected_when_it_can_no_longer_be_met(purchase, other_agent, people):
    step, = ask(purchase, other_agent, StepSpec("Board", "quorum", threshold=3, users=people[:4]))
    approval_vote(actor=people[0], ticket=purchase, decision="reject", comment="No")
    step.refresh_from_db()
    assert step.state == "pending"  # 3 may still approve
    approval_vote(actor=people[1], ticket=purchase, decision="reject", comment="No")
    step.refresh_from_db()
    assert step.state == "rejected"  # 0 approved + 2 pending < 3
    assert states(step)[2:] == [("p3", "not_required"), ("p4", "not_required")]


def test_percent_approved_at_the_rounded_up_share(purchase, other_agent, people):
    # 60 % of 4 approvers is 2.4: three approvals are needed.
    step, = ask(purchase, other_agent, StepSpec("Owners", "percent", threshold=60, users=people[:4]))
    approval_vote(actor=people[0], ticket=purchase, decision="approve")
    approval_vote(actor=people[1], ticket=purchase, decision="approve")
    step.refresh_from_db()
    assert step.state == "pending"
    approval_vote(actor=people[2], ticket=purchase, decision="approve")
    step.refresh_from_db()
    assert step.state == "approved"


def test_percent_rejected_when_the_share_is_out_of_reach(purchase, other_agent, people):
    step, = ask(purchase, other_agent, StepSpec("Owners", "percent", threshold=60, users=people[:4]))
    approval_vote(actor=people[0], ticket=purchase, decision="approve")
    approval_vote(actor=people[1], ticket=purchase, decision="reject", comment="No")
    step.refresh_from_db()
    assert step.state == "pending"  # 1 + 2 pending = 3 still possible
    approval_vote(actor=people[2], ticket=purchase, decision="reject", comment="No")
    step.refresh_from_db()
    assert step.state == "rejected"


@pytest.mark.parametrize(("policy", "threshold", "approved", "rejected", "pending", "expected"), [
    ("all", None, 2, 0, 0, "approved"), ("all", None, 1, 0, 1, None), ("all", None, 1, 1, 1, "rejected"),
    ("any", None, 1, 2, 0, "approved"), ("any", None, 0, 2, 1, None), ("any", None, 0, 3, 0, "rejected"),
    ("quorum", 2, 2, 0, 3, "approved"), ("quorum", 2, 1, 3, 1, None), ("quorum", 2, 1, 4, 0, "rejected"),
    ("percent", 50, 2, 0, 2, "approved"), ("percent", 50, 1, 2, 1, None), ("percent", 51, 2, 2, 0, "rejected"),
    ("percent", 100, 3, 0, 0, "approved"), ("percent", 1, 1, 0, 99, "approved"),
])
def test_policy_table(policy, threshold, approved, rejected, pending, expected):
    assert approvals.evaluate(policy, threshold, approved=approved, rejected=rejected, pending=pending) == expected


# --- Steps and rounds -----------------------------------------------------------------------


def test_steps_run_in_order(purchase, other_agent, people, purchases):
    first, second = ask(purchase, other_agent, StepSpec("Manager", "any", users=[people[0]]),
                        StepSpec("Finance", "all", users=people[1:3]))
    assert (first.state, second.state) == ("pending", "waiting")
    with pytest.raises(approvals.ApprovalRefused):  # not an approver of the pending step yet
        approval_vote(actor=people[1], ticket=purchase, decision="approve")
    approval_vote(actor=people[0], ticket=purchase, decision="approve")
    second.refresh_from_db()
    assert second.state == "pending" and second.started_at
    purchase.refresh_from_db()
    assert purchase.state == "authorization" and purchases == []
    approval_vote(actor=people[1], ticket=purchase, decision="approve")
    approval_vote(actor=people[2], ticket=purchase, decision="approve")
    purchase.refresh_from_db()
    assert purchase.state == "ordered"
    assert [c[1] for c in purchases] == ["approved"]


def test_rejection_cancels_later_steps(purchase, other_agent, people):
    first, second = ask(purchase, other_agent, StepSpec("Manager", "any", users=[people[0]]),
                        StepSpec("Finance", "all", users=people[1:3]))
    approval_vote(actor=people[0], ticket=purchase, decision="reject", comment="Not this year")
    second.refresh_from_db()
    assert second.state == "cancelled"
    assert all(state == "pending" for _name, state in states(second))  # never asked: left as they were
    purchase.refresh_from_db()
    assert purchase.state == "refused"


def test_a_new_round_cancels_the_old_one(purchase, other_agent, people):
    old_first, old_second = ask(purchase, other_agent, StepSpec("Manager", "all", users=people[:2]),
                                StepSpec("Finance", "any", users=[people[2]]))
    approval_vote(actor=people[0], ticket=purchase, decision="approve")
    new, = ask(purchase, other_agent, StepSpec("Manager", "any", users=people[:2]))
    old_first.refresh_from_db()
    old_second.refresh_from_db()
    assert (old_first.state, old_second.state) == ("cancelled", "cancelled")
    assert states(old_first) == [("p1", "approved"), ("p2", "not_required")]
    assert new.round == 2 and new.state == "pending"
    approval_vote(actor=people[1], ticket=purchase, decision="approve")
    new.refresh_from_db()
    assert new.state == "approved"


def test_cancel(purchase, other_agent, people):
    step, = ask(purchase, other_agent, StepSpec("Manager", "all", users=people[:2]))
    assert approval_cancel(actor=other_agent, ticket=purchase, reason="Withdrawn") == 1
    step.refresh_from_db()
    assert step.state == "cancelled"
    assert states(step) == [("p1", "not_required"), ("p2", "not_required")]
    assert approval_cancel(actor=other_agent, ticket=purchase) == 0
    with pytest.raises(approvals.ApprovalConflict) as refused:
        approval_vote(actor=people[0], ticket=purchase, decision="approve")
    assert refused.value.status_code == 409


def test_already_decided_is_a_conflict(purchase, other_agent, people):
    ask(purchase, other_agent, StepSpec("Manager", "all", users=people[:2]))
    approval_vote(actor=people[0], ticket=purchase, decision="approve")
    with pytest.raises(approvals.ApprovalConflict):
        approval_vote(actor=people[0], ticket=purchase, decision="reject", comment="Changed my mind")


# --- Who approves ---------------------------------------------------------------------------


def test_groups_and_roles_expand_to_active_people_once(purchase, other_agent, cab, members, people):
    from django.contrib.auth.models import Group

    inactive = UserFactory(username="gone", roles=[roles.CAB_MEMBER], is_active=False)
    cab.members.add(inactive)
    Group.objects.get(name=roles.ADMINISTRATOR).user_set.add(people[0])
    step, = ask(purchase, other_agent, StepSpec("CAB", "quorum", threshold=2, users=[members[1]], groups=[cab],
                                                roles=[roles.CAB_MEMBER, "servicedesk.decide_for_others"]))
    rows = {v.approver.username: (v.via_group_id, v.via_role) for v in step.votes.select_related("approver")}
    assert rows == {"cab1": (cab.pk, ""), "cab2": (None, ""), "cab3": (cab.pk, ""),
                    "p1": (None, "servicedesk.decide_for_others")}
    # A snapshot: joining the group later does not make you an approver of this round.
    cab.members.add(people[1])
    with pytest.raises(approvals.ApprovalRefused):
        approval_vote(actor=people[1], ticket=purchase, decision="approve")


def test_invalid_requests_name_the_step(purchase, other_agent, agent, requester, people):
    cases = [
        ([StepSpec("Mine", "any", users=[agent, requester])], "Mine"),  # only excluded people
        ([StepSpec("Board", "quorum", threshold=3, users=people[:2])], "Board"),
        ([StepSpec("Share", "percent", threshold=120, users=people[:2])], "Share"),
        ([StepSpec("Nobody", "all", roles=["No such role"])], "Nobody"),
        ([StepSpec("Odd", "most", users=people[:2])], "Odd"),
    ]
    for steps, name in cases:
        with pytest.raises(ValidationError) as error:
            approval_request(actor=other_agent, ticket=purchase, steps=steps)
        assert name in str(error.value.message_dict["steps"])
    with pytest.raises(ValidationError):
        approval_request(actor=other_agent, ticket=purchase, steps=[])
    assert not ApprovalStep.objects.exists()


def test_requester_and_implementer_left_out_at_request(purchase, other_agent, agent, requester, people):
    step, = ask(purchase, other_agent, StepSpec("Manager", "all", users=[agent, requester, people[0]]))
    assert [v.approver for v in step.votes.all()] == [people[0]]


def test_requester_in_the_group_is_refused_at_vote_time(purchase, other_agent, cab, members, requester):
    step, = ask(purchase, other_agent, StepSpec("CAB", "any", groups=[cab]))
    cab.members.add(requester)  # too late for the snapshot, but show the check holds anyway:
    ApprovalVote.objects.create(step=step, approver=requester, via_group=cab)
    with pytest.raises(approvals.ApprovalRefused) as refused:
        approval_vote(actor=requester, ticket=purchase, decision="approve")
    assert refused.value.code == "approval_excluded"


def test_implementer_named_after_the_request_is_refused(purchase, other_agent, cab, members, team):
    ask(purchase, other_agent, StepSpec("CAB", "any", groups=[cab]))
    team.members.add(members[1])
    from servicedesk import services as desk

    with transaction.atomic():
        desk.ticket_assign(ticket=purchase, actor=other_agent, team=team, assignee=members[1])
    purchase.refresh_from_db()
    with pytest.raises(approvals.ApprovalRefused) as refused:
        approval_vote(actor=members[1], ticket=purchase, decision="approve")
    assert refused.value.code == "approval_excluded"
    approval_vote(actor=members[2], ticket=purchase, decision="approve")  # the others still can


def test_non_approver_refused(purchase, other_agent, people, lead):
    ask(purchase, other_agent, StepSpec("Manager", "all", users=people[:2]))
    with pytest.raises(approvals.ApprovalRefused) as refused:
        approval_vote(actor=lead, ticket=purchase, decision="approve")
    assert refused.value.code == "not_an_approver" and refused.value.status_code == 403


def test_rejection_needs_a_comment(purchase, other_agent, people):
    ask(purchase, other_agent, StepSpec("Manager", "all", users=people[:2]))
    with pytest.raises(ValidationError) as error:
        approval_vote(actor=people[0], ticket=purchase, decision="reject", comment="  ")
    assert "comment" in error.value.message_dict
    with pytest.raises(ValidationError):
        approval_vote(actor=people[0], ticket=purchase, decision="maybe")


# --- On behalf ------------------------------------------------------------------------------


def test_chair_decides_for_a_member_of_their_group(purchase, other_agent, cab, members):
    chair, member, _third = members
    step, = ask(purchase, other_agent, StepSpec("CAB", "all", groups=[cab]))
    row = approval_vote(actor=chair, ticket=purchase, decision="approve", on_behalf_of=member,
                        comment="Agreed by phone")
    assert (row.decided_by, row.on_behalf_of, row.vote.approver) == (chair, member, member)
    assert dict(states(step)) == {"cab1": "pending", "cab2": "approved", "cab3": "pending"}


def test_chair_cannot_decide_for_someone_named_outside_the_group(purchase, other_agent, cab, members, people):
    ask(purchase, other_agent, StepSpec("CAB", "all", users=[people[0]], groups=[cab]))
    with pytest.raises(approvals.ApprovalRefused) as refused:
        approval_vote(actor=members[0], ticket=purchase, decision="approve", on_behalf_of=people[0])
    assert refused.value.code == "on_behalf_not_permitted"


def test_member_cannot_decide_for_another(purchase, other_agent, cab, members):
    ask(purchase, other_agent, StepSpec("CAB", "all", groups=[cab]))
    with pytest.raises(approvals.ApprovalRefused):
        approval_vote(actor=members[1], ticket=purchase, decision="approve", on_behalf_of=members[2])


def test_permission_holder_decides_for_anyone(purchase, other_agent, people, cab, members):
    admin = UserFactory(username="admin1", roles=[roles.ADMINISTRATOR])
    ask(purchase, other_agent, StepSpec("Manager", "all", users=[people[0]], groups=[cab]))
    row = approval_vote(actor=admin, ticket=purchase, decision="reject", comment="Out of budget",
                        on_behalf_of=people[0])
    assert row.on_behalf_of == people[0] and row.decided_by == admin


def test_no_one_decides_for_an_excluded_person(purchase, other_agent, people, agent):
    admin = UserFactory(username="admin1", roles=[roles.ADMINISTRATOR])
    step, = ask(purchase, other_agent, StepSpec("Manager", "all", users=[people[0]]))
    ApprovalVote.objects.create(step=step, approver=agent)  # the buyer, say, from an older rule
    with pytest.raises(approvals.ApprovalRefused) as refused:
        approval_vote(actor=admin, ticket=purchase, decision="approve", on_behalf_of=agent)
    assert refused.value.code == "approval_excluded"


# --- Immutability, side effects -------------------------------------------------------------


def test_decisions_cannot_be_changed_or_deleted_in_the_database(purchase, other_agent, people):
    from django.db import InternalError

    ask(purchase, other_agent, StepSpec("Manager", "all", users=people[:2]))
    row = approval_vote(actor=people[0], ticket=purchase, decision="approve")
    with pytest.raises(InternalError), transaction.atomic():
        ApprovalDecision.objects.filter(pk=row.pk).update(decision="reject")
    with pytest.raises(InternalError), transaction.atomic():
        ApprovalDecision.objects.filter(pk=row.pk).delete()
    assert ApprovalDecision.objects.get(pk=row.pk).decision == "approve"


def test_approvers_notified_after_commit_only(purchase, other_agent, people, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ask(purchase, other_agent, StepSpec("Manager", "any", users=[people[0]]),
            StepSpec("Finance", "any", users=[people[1]]))
        assert Notification.objects.filter(reason="approval_requested").count() == 1
        assert mail.outbox == []
    assert callbacks and [m.to for m in mail.outbox] == [[people[0].email]]
    assert "Manager" in mail.outbox[0].subject and purchase.number in mail.outbox[0].subject
    assert "/desk/purchases/" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        approval_vote(actor=people[0], ticket=purchase, decision="approve")
    assert [m.to for m in mail.outbox] == [[people[0].email], [people[1].email]]


def test_nothing_sent_on_rollback(purchase, other_agent, people, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with (django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(RuntimeError),
          transaction.atomic()):
        ask(purchase, other_agent, StepSpec("Manager", "any", users=[people[0]]))
        raise RuntimeError
    assert callbacks == [] and mail.outbox == []
    assert not Notification.objects.exists() and not ApprovalStep.objects.exists()


def test_hook_failure_rolls_the_vote_back(purchase, other_agent, people):
    from . import conftest

    ask(purchase, other_agent, StepSpec("Manager", "any", users=[people[0]]))

    def broken(ticket, outcome, actor):
        raise RuntimeError("the process could not move the ticket")

    object.__setattr__(conftest.PURCHASE, "approval_decided", broken)
    try:
        with pytest.raises(RuntimeError):
            approval_vote(actor=people[0], ticket=purchase, decision="approve")
    finally:
        object.__setattr__(conftest.PURCHASE, "approval_decided", conftest.purchase_decided)
    assert not ApprovalDecision.objects.exists()
    assert ApprovalStep.objects.get().state == "pending"


def test_signal_after_commit(purchase, other_agent, people, django_capture_on_commit_callbacks):
    received = []

    def listener(sender, **kwargs):
        received.append(kwargs)

    signals.approval_decided.connect(listener)
    try:
        ask(purchase, other_agent, StepSpec("Manager", "any", users=[people[0]]))
        with django_capture_on_commit_callbacks(execute=True):
            approval_vote(actor=people[0], ticket=purchase, decision="approve")
            assert received == []
    finally:
        signals.approval_decided.disconnect(listener)
    assert received[0]["ticket_id"] == purchase.pk and received[0]["outcome"] == "approved"
    assert received[0]["round"] == 1 and received[0]["actor_id"] == people[0].pk


def test_timeline_records_facts(purchase, other_agent, cab, members):
    ask(purchase, other_agent, StepSpec("CAB", "any", groups=[cab]))
    approval_vote(actor=members[0], ticket=purchase, decision="approve", on_behalf_of=members[1])
    kinds = list(TimelineEntry.objects.filter(ticket=purchase, kind__startswith="approval")
                 .order_by("id").values_list("kind", "data"))
    assert [k for k, _d in kinds] == ["approval_requested", "approval_vote", "approval_step", "approval_decided"]
    assert kinds[0][1]["steps"] == [{"name": "CAB", "policy": "any", "threshold": None, "approvers": 3}]
    assert kinds[1][1]["on_behalf_of_id"] == members[1].pk and kinds[1][1]["decision"] == "approve"
    assert kinds[3][1] == {"round": 1, "outcome": "approved"}


def test_each_approver_reads_the_request_in_their_language(purchase, other_agent, people,
                                                          django_capture_on_commit_callbacks):
    people[0].language = "ko"
    people[0].save(update_fields=["language"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        ask(purchase, other_agent, StepSpec("Budget", "quorum", threshold=1, users=people[:2]))
    by_person = {m.to[0]: m for m in mail.outbox}
    korean, english = by_person[people[0].email], by_person[people[1].email]
    assert "승인을 요청드립니다(Budget)" in korean.subject and "정족수" in korean.body
    assert "Your approval is requested (Budget)" in english.subject and "A quorum" in english.body
    assert "/desk/approvals/" in english.body
