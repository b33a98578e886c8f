"""Console pages: request and task queues, the request page, the task page (moves, assignment,
notes), delegations, and constant query counts."""

from datetime import timedelta

import pytest
from django.utils import timezone

from catalog.models import FulfilmentTask
from servicedesk import approvals
from servicedesk.models import ApprovalDelegation

from .conftest import order

pytestmark = pytest.mark.django_db


def task_of(request_ticket, key):
    return FulfilmentTask.objects.get(requested_item__request_id=request_ticket.pk, key=key).ticket


def test_request_queue_and_page(client, agent, employee, manager, laptop):
    ticket = order(employee, (laptop, 1, {"model": "x1"}))
    client.force_login(agent)
    page = client.get("/desk/requests/?queue=awaiting_approval")
    assert page.status_code == 200 and ticket.number in page.content.decode()
    detail = client.get(f"/desk/requests/{ticket.number}/").content.decode()
    assert "ThinkPad X1" in detail and "Chris Evans" in detail  # the answer and the approver
    client.force_login(employee)
    assert client.get(f"/desk/requests/{ticket.number}/").status_code == 302  # requesters go to the portal


def test_task_page_moves_assigns_and_notes(client, agent, employee, manager, laptop, workplace):
    ticket = order(employee, (laptop, 1, {"model": "mac"}))
    approvals.approval_vote(actor=manager, ticket=ticket, decision="approve")
    task = task_of(ticket, "prepare")
    client.force_login(agent)
    assert task.number in client.get("/desk/requests/tasks/?queue=my_teams").content.decode()
    page = client.get(f"/desk/requests/tasks/{task.number}/").content.decode()
    assert "MacBook Pro" in page and "Image a MacBook Pro." in page
    client.post(f"/desk/requests/tasks/{task.number}/assign/", {"assign_to_me": "1", "team": workplace.pk})
    task.refresh_from_db()
    assert task.assignee_id == agent.pk
    client.post(f"/desk/requests/{task.number}/comment/", {"kind": "task", "body": "Imaging now", "public": "0"})
    assert task.comments.filter(body="Imaging now", public=False).exists()
    client.post(f"/desk/requests/tasks/{task.number}/transition/", {"to": "in_progress", "version": task.version})
    task.refresh_from_db()
    assert task.state == "in_progress"
    stale = client.post(f"/desk/requests/tasks/{task.number}/transition/", {"to": "closed_complete", "version": 1},
                        follow=True)
    assert "changed by someone else" in stale.content.decode()
    task.refresh_from_db()
    assert task.state == "in_progress"


def test_agent_cancels_a_request_from_its_page(client, agent, employee, laptop):
    ticket = order(employee, (laptop, 1, {"model": "x1"}))
    client.force_login(agent)
    client.post(f"/desk/requests/{ticket.number}/cancel/", {"reason": "Duplicate", "version": ticket.version})
    ticket.refresh_from_db()
    assert ticket.state == "cancelled"


def test_delegation_page(client, agent, other_agent):
    client.force_login(agent)
    start = timezone.localtime()
    response = client.post("/desk/approvals/delegations/", {
        "delegate": other_agent.pk, "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"), "reason": "Holiday"})
    assert response.status_code == 302
    delegation = ApprovalDelegation.objects.get()
    assert (delegation.delegator_id, delegation.delegate_id) == (agent.pk, other_agent.pk)
    bad = client.post("/desk/approvals/delegations/", {"delegate": other_agent.pk, "starts_at": "2020-01-01T00:00",
                                                       "ends_at": "2019-01-01T00:00"})
    assert bad.status_code == 400
    impossible = client.post("/desk/approvals/delegations/", {"delegate": other_agent.pk,
                                                              "starts_at": "2030-02-30T10:00",
                                                              "ends_at": "2030-03-02T10:00"})
    assert impossible.status_code == 400 and ApprovalDelegation.objects.count() == 1
    client.post(f"/desk/approvals/delegations/{delegation.pk}/end/")
    delegation.refresh_from_db()
    assert delegation.revoked_at is not None
    client.force_login(other_agent)
    assert client.post(f"/desk/approvals/delegations/{delegation.pk}/end/").status_code == 404


@pytest.mark.parametrize("count", [2, 8])
def test_task_page_query_count_is_constant(client, agent, employee, manager, laptop, count,
                                           django_assert_max_num_queries):
    ticket = order(employee, (laptop, 1, {"model": "x1"}))
    approvals.approval_vote(actor=manager, ticket=ticket, decision="approve")
    task = task_of(ticket, "prepare")
    from servicedesk.services import comment_add

    for n in range(count):
        comment_add(ticket=task, actor=agent, body=f"note {n}", public=False)
    client.force_login(agent)
    client.get(f"/desk/requests/tasks/{task.number}/")
    with django_assert_max_num_queries(16):
        assert client.get(f"/desk/requests/tasks/{task.number}/").status_code == 200


@pytest.mark.parametrize("count", [2, 8])
def test_request_queue_query_count_is_constant(client, agent, employee, laptop, count,
                                               django_assert_max_num_queries):
    for _n in range(count):
        order(employee, (laptop, 1, {"model": "x1"}))
    client.force_login(agent)
    client.get("/desk/requests/")
    with django_assert_max_num_queries(10):
        assert client.get("/desk/requests/").status_code == 200


def test_the_service_desk_queue_lists_requests_and_tasks(client, agent, employee, password_reset, laptop):
    waiting = order(employee, (laptop, 1, {"model": "x1"}))
    started = order(employee, (password_reset, 1, {}))
    client.force_login(agent)
    page = client.get("/desk/?queue=requests_awaiting_approval").content.decode()
    assert waiting.number in page and started.number not in page
    assert task_of(started, "reset").number in client.get("/desk/?queue=tasks_open").content.decode()
