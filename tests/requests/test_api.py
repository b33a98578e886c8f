"""The request and task API: ordering with errors at their place, visibility, ETag/If-Match,
cancel, approvals, task moves, and constant query counts of the lists."""

import pytest

from catalog.models import FulfilmentTask

from .conftest import order

pytestmark = pytest.mark.django_db


def test_order_through_the_api_and_read_it_back(api, employee, manager, laptop, password_reset):
    client = api(employee)
    body = {"items": [{"item": laptop.pk, "answers": {"model": "x1"}}, {"item": password_reset.pk, "quantity": 1}]}
    response = client.post("/api/v1/requests/", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["state"] == "awaiting_approval" and data["requested_for"]["id"] == employee.pk
    assert [i["state"] for i in data["items"]] == ["awaiting_approval", "in_fulfilment"]
    assert data["items"][0]["answers"][0]["display"] == "ThinkPad X1"
    assert data["items"][1]["tasks"][0]["state"] == "open"
    assert response["ETag"] == f'"{data["version"]}"'
    assert response["Location"].endswith(f"/api/v1/requests/{data['number']}/")
    assert client.get(f"/api/v1/requests/{data['number']}/").status_code == 200


def test_order_errors_come_back_per_line(api, employee, laptop, password_reset):
    client = api(employee)
    response = client.post("/api/v1/requests/", {"items": [
        {"item": password_reset.pk}, {"item": laptop.pk, "quantity": 9, "answers": {"model": "x1"}},
        {"item": 999999}]}, format="json")
    assert response.status_code == 400
    errors = response.json()["items"]
    assert errors[0] == {} and "item" in errors[2]
    empty = client.post("/api/v1/requests/", {"items": []}, format="json")
    assert empty.status_code == 400 and "items" not in empty.json() and empty.json()["non_field_errors"]
    response = client.post("/api/v1/requests/", {"items": [{"item": password_reset.pk}], "requested_for": 999999},
                           format="json")
    assert response.status_code == 400 and "requested_for" in response.json()


def test_a_requester_sees_only_requests_by_or_for_them(api, requester, employee, other_requester, manager,
                                                       password_reset, laptop):
    mine = order(requester, (password_reset, 1, {}))
    for_employee = order(requester, (password_reset, 1, {}), requested_for=employee)
    theirs = order(other_requester, (password_reset, 1, {}))
    to_approve = order(employee, (laptop, 1, {"model": "x1"}))

    def numbers(user):
        return {r["number"] for r in api(user).get("/api/v1/requests/").json()["results"]}

    assert numbers(requester) == {mine.number, for_employee.number}
    assert numbers(employee) == {for_employee.number, to_approve.number}
    assert numbers(manager) == {to_approve.number}  # asked to approve it
    assert api(other_requester).get(f"/api/v1/requests/{mine.number}/").status_code == 404
    assert api(requester).get("/api/v1/tasks/").status_code == 403
    assert theirs.number not in numbers(manager) | numbers(requester) | numbers(employee)


def test_approve_through_the_api_and_cancel_rules(api, employee, manager, laptop, agent):
    ticket = order(employee, (laptop, 1, {"model": "x1"}))
    overview = api(manager).get(f"/api/v1/requests/{ticket.number}/approvals/").json()
    assert overview["can_vote"] is True
    response = api(manager).post(f"/api/v1/requests/{ticket.number}/approvals/", {"decision": "approve"},
                                 format="json")
    assert response.status_code == 201
    detail = api(employee).get(f"/api/v1/requests/{ticket.number}/")
    assert detail.json()["state"] == "in_fulfilment" and detail.json()["actions"] == []
    refused = api(employee).post(f"/api/v1/requests/{ticket.number}/transition/", {"to": "cancelled"},
                                 format="json")
    assert refused.status_code == 409
    stale = api(agent).post(f"/api/v1/requests/{ticket.number}/transition/", {"to": "cancelled"}, format="json",
                            HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    ok = api(agent).post(f"/api/v1/requests/{ticket.number}/transition/", {"to": "cancelled", "reason": "Dup"},
                         format="json", HTTP_IF_MATCH=detail["ETag"])
    assert ok.status_code == 200 and ok.json()["state"] == "cancelled"


def test_tasks_move_through_the_api(api, employee, manager, laptop, agent, workplace):
    ticket = order(employee, (laptop, 1, {"model": "mac"}))
    api(manager).post(f"/api/v1/requests/{ticket.number}/approvals/", {"decision": "approve"}, format="json")
    prepare = FulfilmentTask.objects.get(requested_item__request_id=ticket.pk, key="prepare").ticket
    client = api(agent)
    listed = client.get("/api/v1/tasks/", {"state": "open"}).json()["results"]
    assert [t["number"] for t in listed] == [prepare.number]
    detail = client.get(f"/api/v1/tasks/{prepare.number}/").json()
    assert detail["request"] == ticket.number and detail["request_items"][0]["snapshot"][0]["display"] == "MacBook Pro"
    assert {a["target"] for a in detail["actions"]} >= {"in_progress", "closed_complete"}
    assign = client.post(f"/api/v1/tasks/{prepare.number}/assign/", {"team": workplace.pk, "assignee": agent.pk},
                         format="json")
    assert assign.status_code == 200 and assign.json()["assignee"]["id"] == agent.pk
    bad = client.post(f"/api/v1/tasks/{prepare.number}/transition/", {"to": "closed_incomplete"}, format="json")
    assert bad.status_code == 400 and "note" in bad.json()
    illegal = client.post(f"/api/v1/tasks/{prepare.number}/transition/", {"to": "waiting"}, format="json")
    assert illegal.status_code == 409
    done = client.post(f"/api/v1/tasks/{prepare.number}/transition/", {"to": "closed_complete"}, format="json")
    assert done.status_code == 200 and done.json()["state"] == "closed_complete"
    hand_over = client.get("/api/v1/tasks/", {"state": "open"}).json()["results"]
    assert [t["title"] for t in hand_over] == ["Hand over — New laptop"]


@pytest.mark.parametrize("count", [3, 12])
def test_request_list_query_count_is_constant(api, requester, password_reset, count, django_assert_max_num_queries):
    for _n in range(count):
        order(requester, (password_reset, 1, {}))
    client = api(requester)
    client.get("/api/v1/requests/")  # authentication caches warm up
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/requests/")
    assert len(response.json()["results"]) == count


def test_delegations_through_the_api(api, employee, manager, other_requester, laptop):
    from datetime import timedelta

    from django.utils import timezone

    ticket = order(employee, (laptop, 1, {"model": "x1"}))
    now = timezone.now()
    body = {"delegate": other_requester.pk, "starts_at": now.isoformat(),
            "ends_at": (now + timedelta(days=2)).isoformat(), "reason": "Holiday"}
    created = api(manager).post("/api/v1/approvals/delegations/", body, format="json")
    assert created.status_code == 201 and created.json()["active"] is True
    assert api(other_requester).post("/api/v1/approvals/delegations/", {**body, "delegator": manager.pk,
                                                                         "delegate": employee.pk},
                                     format="json").status_code == 403
    pending = api(other_requester).get("/api/v1/approvals/").json()["results"]
    assert [(p["number"], p["approver"]) for p in pending] == [(ticket.number, manager.pk)]
    vote = api(other_requester).post(f"/api/v1/requests/{ticket.number}/approvals/",
                                     {"decision": "approve", "on_behalf_of": manager.pk}, format="json")
    assert vote.status_code == 201
    ended = api(manager).post(f"/api/v1/approvals/delegations/{created.json()['id']}/end/")
    assert ended.status_code == 200 and ended.json()["active"] is False
    assert api(employee).post(f"/api/v1/approvals/delegations/{created.json()['id']}/end/").status_code == 404
