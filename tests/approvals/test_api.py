"""The approval API: "my pending approvals" and the ``approvals/`` action a process mounts."""

import pytest
from django.core.management import call_command

from accounts import roles
from accounts.factories import UserFactory
from servicedesk.approvals import StepSpec, approval_request, approval_vote
from servicedesk.models import ApprovalDecision

PENDING = "/api/v1/approvals/"


def url(number):
    return f"/api/v1/purchases/{number}/approvals/"


@pytest.fixture
def asked(purchase, other_agent, cab):
    approval_request(actor=other_agent, ticket=purchase, steps=[StepSpec("CAB", "quorum", threshold=2, groups=[cab])])
    return purchase


def test_my_pending_approvals(api, asked, members):
    response = api(members[1]).get(PENDING)
    assert response.status_code == 200
    row, = response.json()["results"]
    assert row["number"] == asked.number and row["kind"] == "purchase" and row["title"] == "Two monitors"
    assert row["step"] == "CAB" and row["policy"] == "quorum" and row["threshold"] == 2
    assert row["url"] == f"http://testserver/api/v1/purchases/{asked.number}/"
    assert row["approvals_url"] == f"http://testserver/api/v1/purchases/{asked.number}/approvals/"
    assert row["requested_at"]
    assert api(members[1]).get(PENDING, {"kind": "purchase"}).json()["results"] == [row]
    assert api(members[1]).get(PENDING, {"kind": "incident"}).json()["results"] == []
    bad = api(members[1]).get(PENDING, {"kind": "nonsense"})
    assert bad.status_code == 400 and "kind" in bad.json()


def test_pending_list_is_empty_for_others_and_after_voting(api, asked, members, lead):
    assert api(lead).get(PENDING).json()["results"] == []
    approval_vote(actor=members[1], ticket=asked, decision="approve")
    assert api(members[1]).get(PENDING).json()["results"] == []
    assert len(api(members[2]).get(PENDING).json()["results"]) == 1
    approval_vote(actor=members[2], ticket=asked, decision="approve")  # quorum met: the others are not required
    assert api(members[0]).get(PENDING).json()["results"] == []


def test_pending_list_anonymous(api, purchases):
    assert api(None).get(PENDING).status_code == 401


def test_overview(api, asked, members, cab):
    approval_vote(actor=members[1], ticket=asked, decision="approve", comment="Fine")
    body = api(members[2]).get(url(asked.number)).json()
    assert body["ticket"] == asked.number and body["state"] == "pending" and body["current_round"] == 1
    step, = body["rounds"][0]["steps"]
    assert (step["name"], step["policy"], step["threshold"], step["state"]) == ("CAB", "quorum", 2, "pending")
    assert (step["approved"], step["rejected"], step["pending"], step["required"]) == (1, 0, 2, 2)
    assert {v["approver"]["username"]: (v["via_group"]["name"], v["state"]) for v in step["votes"]} == {
        "cab1": ("CAB", "pending"), "cab2": ("CAB", "approved"), "cab3": ("CAB", "pending")}
    decision, = step["decisions"]
    assert decision["decided_by"]["username"] == "cab2" and decision["comment"] == "Fine"
    assert decision["on_behalf_of"] is None
    assert body["can_vote"] is True and body["cannot_vote_reason"] is None
    # The chair may decide for the group's members.
    chair = api(members[0]).get(url(asked.number)).json()
    assert [d["approver"]["username"] for d in chair["may_decide_for"]] == ["cab3"]


def test_vote(api, asked, members):
    response = api(members[1]).post(url(asked.number), {"decision": "approve", "comment": "OK"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["decision"] == "approve" and body["decided_by"]["username"] == "cab2" and body["step"] == "CAB"
    response = api(members[2]).post(url(asked.number), {"decision": "approve"}, format="json")
    assert response.status_code == 201
    asked.refresh_from_db()
    assert asked.state == "ordered"
    # Nothing is pending any more.
    late = api(members[0]).post(url(asked.number), {"decision": "approve"}, format="json")
    assert late.status_code == 409 and late.json()["code"] == "no_pending_approval"


def test_vote_on_behalf(api, asked, members):
    response = api(members[0]).post(url(asked.number), {"decision": "reject", "comment": "Said no by phone",
                                                        "on_behalf_of": members[2].pk}, format="json")
    assert response.status_code == 201
    assert response.json()["on_behalf_of"]["username"] == "cab3"
    refused = api(members[1]).post(url(asked.number), {"decision": "approve", "on_behalf_of": members[0].pk},
                                   format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "on_behalf_not_permitted"


@pytest.mark.parametrize(("body", "field"), [
    ({}, "decision"), ({"decision": "maybe"}, "decision"), ({"decision": "reject"}, "comment"),
    ({"decision": "reject", "comment": "   "}, "comment"), ({"decision": "approve", "on_behalf_of": "x"}, "on_behalf_of"),
    ({"decision": "approve", "on_behalf_of": 10**30}, "on_behalf_of"), ({"decision": ["approve"]}, "decision"),
])
def test_bad_input_is_a_field_error(api, asked, members, body, field):
    response = api(members[1]).post(url(asked.number), body, format="json")
    assert response.status_code == 400 and field in response.json()
    assert not ApprovalDecision.objects.exists()


def test_non_approver_is_403(api, asked, lead):
    response = api(lead).post(url(asked.number), {"decision": "approve"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_an_approver"


def test_requester_in_the_group_is_403(api, purchase, other_agent, cab, requester):
    cab.members.add(requester)
    approval_request(actor=other_agent, ticket=purchase, steps=[StepSpec("CAB", "any", groups=[cab])])
    assert requester.pk not in purchase.approval_steps.get().votes.values_list("approver_id", flat=True)
    response = api(requester).post(url(purchase.number), {"decision": "approve"}, format="json")
    assert response.status_code == 403
    overview = api(requester).get(url(purchase.number)).json()
    assert overview["can_vote"] is False and overview["cannot_vote_reason"] == "excluded"


def test_someone_elses_ticket_is_404(api, asked, other_requester):
    assert api(other_requester).get(url(asked.number)).status_code == 404
    assert api(other_requester).post(url(asked.number), {"decision": "approve"}, format="json").status_code == 404


def test_no_approval_yet(api, purchase, agent):
    body = api(agent).get(url(purchase.number)).json()
    assert body["rounds"] == [] and body["state"] is None and body["cannot_vote_reason"] == "no_pending_step"
    assert api(agent).post(url(purchase.number), {"decision": "approve"}, format="json").status_code == 409


def test_schema_of_a_process_that_mounts_the_action(purchases, tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/purchases/{number}/approvals/:" in text and "/api/v1/approvals/:" in text
    assert "ApprovalOverview" in text and "ApprovalVoteCreate" in text


def test_pending_query_count_is_flat(api, purchases, make_purchase, other_agent, django_assert_max_num_queries):
    approver = UserFactory(username="approver", roles=[roles.AGENT])
    client = api(approver)

    def pending(n):
        for i in range(n):
            ticket = make_purchase(title=f"Purchase {i}")
            approval_request(actor=other_agent, ticket=ticket, steps=[StepSpec("Manager", "any", users=[approver])])

    pending(3)
    with django_assert_max_num_queries(3) as few:
        assert len(client.get(PENDING).json()["results"]) == 3
    pending(27)
    with django_assert_max_num_queries(3) as many:
        assert len(client.get(PENDING).json()["results"]) == 30
    assert len(few.captured_queries) == len(many.captured_queries)
