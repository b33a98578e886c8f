"""Portal: my requests, the request page's progress in plain words, cancel, order again, reply,
approving on the portal, and "My tickets" listing requests but not their tasks."""

import pytest

from servicedesk import approvals
from servicedesk.models import Ticket

from .conftest import order

pytestmark = pytest.mark.django_db


def test_progress_reads_in_plain_words(client, employee, manager, agent, laptop):
    ticket = order(employee, (laptop, 1, {"model": "x1"}))
    client.force_login(employee)
    page = client.get(f"/portal/requests/{ticket.number}/").content.decode()
    assert "Waiting for Chris Evans to approve" in page and "ThinkPad X1" in page
    approvals.approval_vote(actor=manager, ticket=ticket, decision="approve")
    page = client.get(f"/portal/requests/{ticket.number}/").content.decode()
    assert "Prepare laptop — waiting for Workplace to start" in page
    assert "Hand over — will start after the steps before it" in page
    assert "cancel it until it is approved" not in page  # approved: no cancel any more


def test_my_requests_and_my_tickets(client, employee, requester, password_reset):
    mine = order(employee, (password_reset, 1, {}))
    other = order(requester, (password_reset, 1, {}))
    client.force_login(employee)
    page = client.get("/portal/requests/").content.decode()
    assert mine.number in page and other.number not in page
    tickets = client.get("/portal/tickets/").content.decode()
    task = Ticket.objects.get(parent=mine)
    assert mine.number in tickets and task.number not in tickets
    assert client.get(f"/portal/requests/{other.number}/").status_code == 404


def test_cancel_reply_and_order_again(client, employee, manager, laptop):
    ticket = order(employee, (laptop, 1, {"model": "x1"}))
    client.force_login(employee)
    client.post(f"/portal/requests/{ticket.number}/reply/", {"body": "Any news?"})
    assert ticket.comments.filter(body="Any news?", public=True).exists()
    client.post(f"/portal/requests/{ticket.number}/cancel/", {"version": ticket.version, "reason": "Not needed"})
    assert Ticket.objects.get(pk=ticket.pk).state == "cancelled"

    rejected = order(employee, (laptop, 1, {"model": "x1"}))
    approvals.approval_vote(actor=manager, ticket=rejected, decision="reject", comment="Budget")
    page = client.get(f"/portal/requests/{rejected.number}/").content.decode()
    assert "Not approved by Chris Evans: “Budget”" in page and "Order the same again" in page
    response = client.post(f"/portal/requests/{rejected.number}/order-again/")
    new = Ticket.objects.filter(kind="request").latest("id")
    assert response.url == f"/portal/requests/{new.number}/" and new.service_request.copied_from_id == rejected.pk


def test_a_rejected_request_fills_the_item_page_to_change_and_order_again(client, employee, manager, requester,
                                                                          laptop):
    rejected = order(employee, (laptop, 2, {"model": "mac"}))
    approvals.approval_vote(actor=manager, ticket=rejected, decision="reject", comment="Too expensive")
    line = rejected.service_request.items.get()
    client.force_login(employee)
    link = f"/portal/catalog/items/{laptop.pk}/?again={rejected.number}&line={line.pk}"
    assert link.replace("&", "&amp;") in client.get(f"/portal/requests/{rejected.number}/").content.decode()

    form = client.get(link).context["form"]
    assert form.initial == {"q_model": "mac", "quantity": 2}
    assert client.get(f"/portal/catalog/items/{laptop.pk}/").context["form"].initial == {}

    # Someone else's request, or one that was not rejected, fills nothing in.
    client.force_login(requester)
    assert client.get(link).context["form"].initial == {}
    client.force_login(employee)
    pending = order(employee, (laptop, 1, {"model": "x1"}))
    other = pending.service_request.items.get()
    assert client.get(f"/portal/catalog/items/{laptop.pk}/?again={pending.number}&line={other.pk}"
                      ).context["form"].initial == {}


def test_the_manager_approves_on_the_portal(client, employee, manager, laptop):
    ticket = order(employee, (laptop, 1, {"model": "x1"}))
    client.force_login(manager)
    assert ticket.number in client.get("/portal/requests/").content.decode()  # waiting for your approval
    page = client.get(f"/portal/requests/{ticket.number}/").content.decode()
    assert "Your approval is needed" in page
    client.post(f"/portal/requests/{ticket.number}/decide/", {"decision": "reject"})
    assert Ticket.objects.get(pk=ticket.pk).state == "awaiting_approval"  # a rejection needs a comment
    client.post(f"/portal/requests/{ticket.number}/decide/", {"decision": "approve"})
    assert Ticket.objects.get(pk=ticket.pk).state == "in_fulfilment"
