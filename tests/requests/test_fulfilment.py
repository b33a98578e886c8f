"""Ordering, approval from rules, tasks with dependencies, roll-up applied by the services, cancel and copy."""

import pytest
from django.core.exceptions import ValidationError

from catalog import fulfilment
from catalog.models import FulfilmentTask, RequestedItem
from esm.errors import NotPermitted, TransitionNotAllowed
from servicedesk import approvals
from servicedesk.models import ApprovalStep, Ticket

from .conftest import order

pytestmark = pytest.mark.django_db


def tasks_of(request_ticket):
    return {t.key: Ticket.objects.get(pk=t.ticket_id)
            for t in FulfilmentTask.objects.filter(requested_item__request_id=request_ticket.pk)}


def test_an_item_without_rules_starts_at_once(requester, password_reset):
    ticket = order(requester, (password_reset, 1, {}))
    assert ticket.number.startswith("REQ")
    ticket.refresh_from_db()
    assert ticket.state == "in_fulfilment"
    task = tasks_of(ticket)["reset"]
    assert task.number.startswith("TASK") and task.parent_id == ticket.pk and task.state == "open"
    assert task.team.name == "Access"


def test_manager_approves_then_tasks_open_in_dependency_order(employee, manager, agent, laptop):
    ticket = order(employee, (laptop, 1, {"model": "x1"}))
    ticket.refresh_from_db()
    assert ticket.state == "awaiting_approval"
    assert not tasks_of(ticket)
    step = ApprovalStep.objects.get(ticket=ticket)
    assert step.name == "New laptop: Manager" and step.context["requested_item"]
    assert list(step.votes.values_list("approver_id", flat=True)) == [manager.pk]

    approvals.approval_vote(actor=manager, ticket=ticket, decision="approve")
    ticket.refresh_from_db()
    assert ticket.state == "in_fulfilment"
    tasks = tasks_of(ticket)
    assert tasks["prepare"].state == "open" and tasks["hand-over"].state == "waiting"
    assert tasks["prepare"].description == "Image a ThinkPad X1."

    fulfilment.task_transition(ticket=tasks["prepare"], actor=agent, to="in_progress")
    fulfilment.task_transition(ticket=tasks["prepare"], actor=agent, to="closed_complete")
    tasks = tasks_of(ticket)
    assert tasks["hand-over"].state == "open"
    fulfilment.task_transition(ticket=tasks["hand-over"], actor=agent, to="closed_complete")
    ticket.refresh_from_db()
    assert ticket.state == "complete" and not ticket.active
    assert RequestedItem.objects.get(request_id=ticket.pk).state == "complete"


def test_a_task_closed_incomplete_makes_the_request_incomplete(employee, manager, agent, laptop):
    ticket = order(employee, (laptop, 1, {"model": "mac"}))
    approvals.approval_vote(actor=manager, ticket=ticket, decision="approve")
    prepare = tasks_of(ticket)["prepare"]
    with pytest.raises(ValidationError):
        fulfilment.task_transition(ticket=prepare, actor=agent, to="closed_incomplete")
    fulfilment.task_transition(ticket=prepare, actor=agent, to="closed_incomplete", note="Out of stock")
    fulfilment.task_transition(ticket=tasks_of(ticket)["hand-over"], actor=agent, to="closed_skipped",
                               note="Nothing to hand over")
    ticket.refresh_from_db()
    assert ticket.state == "incomplete"


def test_rejection_rejects_the_item_and_the_request(employee, manager, laptop):
    ticket = order(employee, (laptop, 1, {"model": "x1"}))
    approvals.approval_vote(actor=manager, ticket=ticket, decision="reject", comment="Not this year")
    ticket.refresh_from_db()
    assert ticket.state == "rejected"
    assert not tasks_of(ticket)


def test_one_items_rejection_leaves_the_others(employee, manager, laptop, password_reset, category, workplace,
                                                lead, approver_group):
    from catalog.models import ApprovalRule

    from .conftest import make_item

    monitor = make_item(category, workplace, name="Monitor")
    approver_group.members.add(lead)
    ApprovalRule.objects.create(item=monitor, name="Budget", source="group", group=approver_group)
    ticket = order(employee, (laptop, 1, {"model": "x1"}), (monitor, 1, {}), (password_reset, 1, {}))
    ticket.refresh_from_db()
    assert ticket.state == "awaiting_approval"
    assert tasks_of(ticket)["reset"].state == "open"  # no rules: started at once
    approvals.approval_vote(actor=manager, ticket=ticket, decision="reject", comment="Use your old one")
    # The monitor is asked again in a new round; the laptop is rejected.
    states = dict(RequestedItem.objects.filter(request_id=ticket.pk).values_list("name", "state"))
    assert states == {"New laptop": "rejected", "Monitor": "awaiting_approval", "Password reset": "in_fulfilment"}
    step = ApprovalStep.objects.get(ticket=ticket, state="pending")
    assert step.round == 2 and step.name == "Monitor: Budget"
    approvals.approval_vote(actor=lead, ticket=ticket, decision="approve")
    ticket.refresh_from_db()
    assert ticket.state == "in_fulfilment"
    assert RequestedItem.objects.get(request_id=ticket.pk, name="Monitor").state == "complete"  # no tasks


def test_the_orderer_and_the_person_ordered_for_cannot_approve(requester, employee, manager, laptop):
    ticket = order(manager, (laptop, 1, {"model": "x1"}), requested_for=employee)
    # The manager ordered it for their report: their own step is not asked.
    ticket.refresh_from_db()
    assert ticket.state == "in_fulfilment"
    ticket = order(requester, (laptop, 1, {"model": "x1"}), requested_for=employee)
    with pytest.raises(approvals.ApprovalRefused):
        approvals.approval_vote(actor=requester, ticket=ticket, decision="approve")
    assert ticket.watchers.filter(pk=employee.pk).exists()


def test_no_manager_is_an_error_at_requested_for(requester, laptop):
    with pytest.raises(ValidationError) as exc:
        order(requester, (laptop, 1, {"model": "x1"}))
    assert "requested_for" in exc.value.message_dict
    assert not Ticket.objects.filter(kind="request").exists()


def test_order_errors_are_per_line(requester, laptop, password_reset):
    with pytest.raises(fulfilment.OrderInvalid) as exc:
        order(requester, (password_reset, 1, {}), (laptop, 5, {"model": "x1"}))
    assert exc.value.errors["items"][0] == {}
    assert "quantity" in exc.value.errors["items"][1]
    assert not Ticket.objects.exists()


def test_requester_cancels_while_awaiting_approval_only(employee, manager, laptop, agent):
    ticket = order(employee, (laptop, 1, {"model": "x1"}))
    fulfilment.request_cancel(ticket=ticket, actor=employee, reason="Found one")
    ticket.refresh_from_db()
    assert ticket.state == "cancelled"
    assert not ApprovalStep.objects.filter(ticket=ticket, state="pending").exists()
    assert RequestedItem.objects.get(request_id=ticket.pk).state == "cancelled"

    ticket = order(employee, (laptop, 1, {"model": "x1"}))
    approvals.approval_vote(actor=manager, ticket=ticket, decision="approve")
    with pytest.raises(TransitionNotAllowed):
        fulfilment.request_cancel(ticket=ticket, actor=employee)
    fulfilment.request_cancel(ticket=ticket, actor=agent, reason="Duplicate")
    assert {t.state for t in tasks_of(ticket).values()} == {"closed_skipped"}


def test_a_rejected_request_is_ordered_again(employee, manager, laptop, requester):
    ticket = order(employee, (laptop, 1, {"model": "mac"}))
    with pytest.raises(ValidationError):
        fulfilment.request_copy(ticket=ticket, actor=employee)
    approvals.approval_vote(actor=manager, ticket=ticket, decision="reject", comment="Too expensive")
    ticket.refresh_from_db()
    with pytest.raises(NotPermitted):
        fulfilment.request_copy(ticket=ticket, actor=requester)
    new = fulfilment.request_copy(ticket=ticket, actor=employee)
    new.service_request.refresh_from_db()
    assert new.pk != ticket.pk and new.service_request.copied_from_id == ticket.pk
    assert RequestedItem.objects.get(request_id=new.pk).answers == {"model": "mac"}
    assert new.state == "awaiting_approval"
