"""The approval engine's additions, through requests: approvers from each rule source, policies,
time-outs (approve, reject, escalate), delegation and the e-mail's signed single-use links."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import signing
from django.utils import timezone

from accounts import roles
from accounts.factories import UserFactory
from catalog.choices import QuestionType
from catalog.models import ApprovalRule, TaskTemplate
from servicedesk import approvals
from servicedesk.models import ApprovalDecision, ApprovalStep, ApproverGroup, Notification, Ticket

from .conftest import make_item, order

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(db):
    members = [UserFactory(username=f"board{i}", roles=[roles.REQUESTER]) for i in range(3)]
    group = ApproverGroup.objects.create(name="Software board")
    group.members.add(*members)
    return group, members


def item_with(category, team, name="Software", **rule):
    item = make_item(category, team, name=name)
    TaskTemplate.objects.create(item=item, key="install", name="Install", team=team)
    people = rule.pop("people", [])
    created = ApprovalRule.objects.create(item=item, name=rule.pop("rule_name", "Licence"), **rule)
    created.people.set(people)
    return item


def pending_step(ticket):
    return ApprovalStep.objects.get(ticket=ticket, state="pending")


def state_of(ticket):
    return Ticket.objects.get(pk=ticket.pk).state


def test_a_group_with_a_quorum(requester, category, workplace, board):
    group, members = board
    item = item_with(category, workplace, source="group", group=group, policy="quorum", threshold=2)
    ticket = order(requester, (item, 1, {}))
    assert pending_step(ticket).votes.count() == 3
    approvals.approval_vote(actor=members[0], ticket=ticket, decision="approve")
    assert state_of(ticket) == "awaiting_approval"
    approvals.approval_vote(actor=members[1], ticket=ticket, decision="approve")
    assert state_of(ticket) == "in_fulfilment"


def test_named_people_all_must_approve(requester, category, workplace, board):
    _group, members = board
    item = item_with(category, workplace, source="people", people=members[:2], policy="all")
    ticket = order(requester, (item, 1, {}))
    approvals.approval_vote(actor=members[0], ticket=ticket, decision="approve")
    assert state_of(ticket) == "awaiting_approval"
    approvals.approval_vote(actor=members[1], ticket=ticket, decision="reject", comment="No licence left")
    assert state_of(ticket) == "rejected"


def test_percent_policy(requester, category, workplace, board):
    group, members = board
    item = item_with(category, workplace, source="group", group=group, policy="percent", threshold=50)
    ticket = order(requester, (item, 1, {}))
    approvals.approval_vote(actor=members[0], ticket=ticket, decision="reject", comment="No")
    approvals.approval_vote(actor=members[1], ticket=ticket, decision="approve")
    assert state_of(ticket) == "awaiting_approval"  # ceil(50 percent of 3) = 2 approvals
    approvals.approval_vote(actor=members[2], ticket=ticket, decision="approve")
    assert state_of(ticket) == "in_fulfilment"


def test_the_person_named_in_an_answer_approves(requester, category, workplace, board):
    _group, members = board
    owner = members[2]
    item = make_item(category, workplace, name="Shared folder", questions=[
        ("owner", QuestionType.PERSON, {"required": True})])
    ApprovalRule.objects.create(item=item, name="Folder owner", source="answer", answer_key="owner")
    ticket = order(requester, (item, 1, {"owner": owner.pk}))
    assert list(pending_step(ticket).votes.values_list("approver_id", flat=True)) == [owner.pk]


def test_a_rule_whose_condition_does_not_hold_asks_nothing(requester, category, workplace, board):
    group, _members = board
    item = make_item(category, workplace, name="Monitor", questions=[
        ("size", QuestionType.CHOICE, {"required": True, "choices": [
            {"value": "24", "label": "24 inch"}, {"value": "34", "label": "34 inch"}]})])
    TaskTemplate.objects.create(item=item, key="deliver", name="Deliver", team=workplace)
    ApprovalRule.objects.create(item=item, name="Budget", source="group", group=group,
                                condition={"question": "size", "op": "equals", "value": "34"})
    assert state_of(order(requester, (item, 1, {"size": "24"}))) == "in_fulfilment"
    assert state_of(order(requester, (item, 1, {"size": "34"}))) == "awaiting_approval"


@pytest.mark.parametrize(("action", "expected"), [("approve", "in_fulfilment"), ("reject", "rejected")])
def test_a_step_times_out(requester, category, workplace, board, action, expected):
    group, _members = board
    item = item_with(category, workplace, source="group", group=group, timeout_hours=24, timeout_action=action)
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        ticket = order(requester, (item, 1, {}))
        step = pending_step(ticket)
        assert step.due_at == timezone.now() + timedelta(hours=24)
        traveller.shift(timedelta(hours=23))
        assert approvals.time_out_due() == 0
        traveller.shift(timedelta(hours=2))
        assert approvals.time_out_due() == 1
    assert state_of(ticket) == expected
    step.refresh_from_db()
    assert step.state == ("approved" if action == "approve" else "rejected") and step.due_at is None
    assert approvals.time_out_due(now=timezone.now() + timedelta(days=3)) == 0  # never twice


def test_a_step_escalates_once(requester, category, workplace, board, lead):
    group, members = board
    escalation = ApproverGroup.objects.create(name="IT management")
    escalation.members.add(lead)
    item = item_with(category, workplace, source="people", people=[members[0]], timeout_hours=8,
                     timeout_action="escalate", escalate_to=escalation)
    ticket = order(requester, (item, 1, {}))
    approvals.time_out_due(now=timezone.now() + timedelta(hours=9))
    step = pending_step(ticket)
    votes = dict(step.votes.values_list("approver_id", "state"))
    assert votes == {members[0].pk: "not_required", lead.pk: "pending"}
    assert step.due_at is None and step.timeout_action == ""
    with pytest.raises(approvals.ApprovalConflict):
        approvals.approval_vote(actor=members[0], ticket=ticket, decision="approve")
    approvals.approval_vote(actor=lead, ticket=ticket, decision="approve")
    assert state_of(ticket) == "in_fulfilment"


def test_the_scan_skips_a_ticket_someone_holds(requester, category, workplace, board):
    """A locked ticket is skipped, not waited for: ``approval_time_out`` answers False."""
    group, _members = board
    item = item_with(category, workplace, source="group", group=group, timeout_hours=1, timeout_action="approve")
    ticket = order(requester, (item, 1, {}))
    step = pending_step(ticket)
    later = timezone.now() + timedelta(hours=2)
    assert approvals.approval_time_out(step_id=step.pk, ticket_id=ticket.pk, now=timezone.now()) is False
    assert approvals.approval_time_out(step_id=step.pk, ticket_id=ticket.pk, now=later) is True


def test_a_delegate_decides_during_the_period_and_both_names_are_kept(requester, category, workplace, board,
                                                                    other_requester):
    _group, members = board
    approver = members[0]
    item = item_with(category, workplace, source="people", people=[approver])
    ticket = order(requester, (item, 1, {}))
    now = timezone.now()
    with pytest.raises(approvals.ApprovalRefused):
        approvals.approval_vote(actor=other_requester, ticket=ticket, decision="approve", on_behalf_of=approver)
    delegation = approvals.delegation_create(actor=approver, delegate=other_requester, starts_at=now - timedelta(hours=1),
                                             ends_at=now + timedelta(days=7), reason="Holiday")
    assert [r["number"] for r in approvals.pending_for(other_requester)] == [ticket.number]
    overview = approvals.approval_overview(ticket, other_requester)
    assert [v["approver"]["id"] for v in overview["may_decide_for"]] == [approver.pk]
    approvals.approval_vote(actor=other_requester, ticket=ticket, decision="approve", on_behalf_of=approver)
    decision = ApprovalDecision.objects.get(step__ticket=ticket)
    assert (decision.decided_by_id, decision.on_behalf_of_id) == (other_requester.pk, approver.pk)

    approvals.delegation_revoke(actor=approver, delegation=delegation)
    assert approvals.delegators_of(other_requester) == set()


def test_a_delegation_outside_its_period_gives_nothing(requester, category, workplace, board, other_requester):
    _group, members = board
    approver = members[0]
    item = item_with(category, workplace, source="people", people=[approver])
    ticket = order(requester, (item, 1, {}))
    now = timezone.now()
    approvals.delegation_create(actor=approver, delegate=other_requester, starts_at=now + timedelta(days=1),
                                ends_at=now + timedelta(days=2))
    with pytest.raises(approvals.ApprovalRefused):
        approvals.approval_vote(actor=other_requester, ticket=ticket, decision="approve", on_behalf_of=approver)
    with pytest.raises(approvals.ValidationError) as exc:
        approvals.delegation_create(actor=approver, delegate=approver, starts_at=now, ends_at=now - timedelta(days=1))
    assert set(exc.value.message_dict) == {"delegate", "ends_at"}
    with pytest.raises(approvals.NotPermitted):
        approvals.delegation_create(actor=other_requester, delegator=approver, delegate=requester, starts_at=now,
                                    ends_at=now + timedelta(days=1))


def links_in_mail(user):
    body = Notification.objects.filter(recipient=user, reason="approval_requested").latest("id").body
    return dict(re.findall(r"(Approve|Reject): (\S+)", body))


def test_email_link_get_confirms_and_post_decides_once(client, requester, category, workplace, board):
    _group, members = board
    approver = members[0]
    item = item_with(category, workplace, source="people", people=[approver])
    ticket = order(requester, (item, 1, {}))
    links = links_in_mail(approver)
    approve = links["Approve"].split("127.0.0.1:8000", 1)[-1].replace("http://testserver", "")
    page = client.get(approve)
    assert page.status_code == 200 and b"Yes, approve" in page.content
    assert state_of(ticket) == "awaiting_approval"  # a GET (a mail scanner's prefetch) decides nothing
    assert client.post(approve).status_code == 200
    assert state_of(ticket) == "in_fulfilment"
    decision = ApprovalDecision.objects.get(step__ticket=ticket)
    assert decision.decided_by_id == approver.pk
    again = client.post(approve)
    assert again.status_code == 400 and "already been used" in again.content.decode()
    assert ApprovalDecision.objects.filter(step__ticket=ticket).count() == 1


def test_email_link_reject_needs_a_comment(client, requester, category, workplace, board):
    _group, members = board
    item = item_with(category, workplace, source="people", people=[members[0]])
    ticket = order(requester, (item, 1, {}))
    reject = links_in_mail(members[0])["Reject"].split("127.0.0.1:8000", 1)[-1]
    assert client.post(reject).status_code == 400
    assert state_of(ticket) == "awaiting_approval"
    assert client.post(reject, {"comment": "Not needed"}).status_code == 200
    assert state_of(ticket) == "rejected"


def test_expired_and_forged_links_decide_nothing(client, requester, category, workplace, board, settings):
    _group, members = board
    item = item_with(category, workplace, source="people", people=[members[0]])
    ticket = order(requester, (item, 1, {}))
    vote = pending_step(ticket).votes.get()
    forged = signing.dumps({"vote": vote.pk, "decision": "approve"}, salt="something else")
    response = client.post(f"/portal/approvals/link/{forged}/")
    assert response.status_code == 400 and "not valid" in response.content.decode()
    token = approvals.link_token(vote.pk, "approve")
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.APPROVAL_LINK_MAX_AGE + 60)):
        response = client.post(f"/portal/approvals/link/{token}/")
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert state_of(ticket) == "awaiting_approval"


def test_a_link_of_someone_who_has_left_decides_nothing(client, requester, category, workplace, board):
    _group, members = board
    item = item_with(category, workplace, source="people", people=[members[0]])
    ticket = order(requester, (item, 1, {}))
    token = approvals.link_token(pending_step(ticket).votes.get().pk, "approve")
    type(members[0]).objects.filter(pk=members[0].pk).update(is_active=False)
    response = client.post(f"/portal/approvals/link/{token}/")
    assert response.status_code == 400 and "not valid" in response.content.decode()
    assert state_of(ticket) == "awaiting_approval"
