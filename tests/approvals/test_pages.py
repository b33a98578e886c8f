"""Console pages: "Awaiting my approval", the vote form and the panel a process's ticket page includes."""

import pytest
from django.contrib.messages import get_messages
from django.utils import translation

from accounts import roles
from accounts.factories import UserFactory
from servicedesk import services as desk
from servicedesk.approvals import StepSpec, approval_overview, approval_request, approval_vote
from servicedesk.models import ApprovalDecision

from .conftest import PURCHASE_WORKFLOW

LIST = "/desk/approvals/"
VOTE = "/desk/approvals/vote/"


def texts(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def asked(purchase, other_agent, cab):
    approval_request(actor=other_agent, ticket=purchase, steps=[StepSpec("CAB", "all", groups=[cab])])
    return purchase


def test_list_links_each_ticket_and_the_menu_counts(client, asked, members):
    client.force_login(members[1])
    page = client.get(LIST).content.decode()
    assert f'href="/desk/purchases/{asked.number}/"' in page
    assert "Two monitors" in page and "CAB" in page and "Purchase" in page
    assert 'name="decision" value="approve"' in page and 'name="decision" value="reject"' in page
    assert 'Approvals <span class="badge rounded-pill text-bg-warning" title="Awaiting my approval">1</span>' in page
    assert "Nothing is waiting" in client.get(LIST, {"kind": "incident"}).content.decode()


def test_list_is_empty_for_someone_else(client, asked, lead):
    client.force_login(lead)
    page = client.get(LIST).content.decode()
    assert "Nothing is waiting for your approval." in page and asked.number not in page


def test_requesters_are_sent_to_the_portal(client, asked, requester):
    client.force_login(requester)
    assert client.get(LIST)["Location"].startswith("/portal/")


def test_approve_inline_from_the_list(client, asked, members):
    client.force_login(members[1])
    response = client.post(VOTE, {"number": asked.number, "decision": "approve", "comment": "", "next": LIST})
    assert response.status_code == 302 and response["Location"] == LIST
    assert texts(response) == [f"You approved {asked.number}."]
    assert ApprovalDecision.objects.get().decided_by == members[1]
    assert f'value="{asked.number}"' not in client.get(LIST).content.decode()


def test_reject_needs_a_comment(client, asked, members):
    client.force_login(members[1])
    response = client.post(VOTE, {"number": asked.number, "decision": "reject", "comment": " ", "next": LIST})
    assert texts(response) == ["Say why you reject it."]
    assert not ApprovalDecision.objects.exists()
    response = client.post(VOTE, {"number": asked.number, "decision": "reject", "comment": "Not now"})
    assert response["Location"] == f"/desk/purchases/{asked.number}/"
    asked.refresh_from_db()
    assert asked.state == "refused"


def test_non_approver_refused_on_the_page(client, asked, lead):
    client.force_login(lead)
    response = client.post(VOTE, {"number": asked.number, "decision": "approve"})
    assert texts(response) == ["You are not an approver of “CAB”."]
    assert not ApprovalDecision.objects.exists()


def test_requester_in_the_group_refused_on_the_page(client, purchases, other_agent, cab, members, team):
    # A CAB member asks for a purchase: they stay out of its approval and cannot vote on it.
    own = desk.ticket_create(kind="purchase", workflow=PURCHASE_WORKFLOW, actor=members[1], requester=members[1],
                             title="My own purchase", priority=3, team=team)
    approval_request(actor=other_agent, ticket=own, steps=[StepSpec("CAB", "any", groups=[cab])])
    client.force_login(members[1])
    assert f'value="{own.number}"' not in client.get(LIST).content.decode()
    response = client.post(VOTE, {"number": own.number, "decision": "approve"})
    assert texts(response) == [f"Cab2 Member takes part in {own.number} and cannot approve it."]
    assert not ApprovalDecision.objects.exists()
    panel = client.get(f"/desk/purchases/{own.number}/").content.decode()
    assert "segregation of duties" in panel and 'name="decision"' not in panel


def test_unknown_or_invisible_ticket_is_404(client, asked, members):
    client.force_login(members[1])
    assert client.post(VOTE, {"number": "PUR9999999", "decision": "approve"}).status_code == 404
    assert client.post(VOTE, {"number": "junk\x00", "decision": "approve"}).status_code == 404
    assert client.get(VOTE).status_code == 405


def test_next_must_stay_on_the_site(client, asked, members):
    client.force_login(members[1])
    response = client.post(VOTE, {"number": asked.number, "decision": "approve", "next": "https://evil.example/"})
    assert response["Location"] == f"/desk/purchases/{asked.number}/"


def test_panel_shows_steps_votes_decisions_and_the_form(client, asked, members):
    approval_vote(actor=members[1], ticket=asked, decision="approve", comment="Looks right")
    client.force_login(members[2])
    panel = client.get(f"/desk/purchases/{asked.number}/").content.decode()
    assert "CAB" in panel and "Everyone" in panel and "1/3" in panel
    assert "Cab1 Member" in panel and "Looks right" in panel
    assert 'name="decision" value="approve"' in panel and "Decide as" not in panel
    client.force_login(members[1])
    panel = client.get(f"/desk/purchases/{asked.number}/").content.decode()
    assert "You have already decided" in panel and 'name="decision"' not in panel


def test_chair_decides_for_a_member_on_the_page(client, asked, members):
    client.force_login(members[0])
    panel = client.get(f"/desk/purchases/{asked.number}/").content.decode()
    assert "Decide as" in panel and f'<option value="{members[2].pk}">For Cab3 Member</option>' in panel
    client.post(VOTE, {"number": asked.number, "decision": "approve", "on_behalf_of": members[2].pk})
    row = ApprovalDecision.objects.get()
    assert (row.decided_by, row.on_behalf_of) == (members[0], members[2])
    panel = client.get(f"/desk/purchases/{asked.number}/").content.decode()
    assert "for Cab3 Member" in panel
    response = client.post(VOTE, {"number": asked.number, "decision": "approve", "on_behalf_of": "x"})
    assert texts(response)[-1] == "Choose an approver to decide for."


def test_korean(client, asked, members):
    members[1].language = "ko"
    members[1].save()
    client.force_login(members[1])
    with translation.override("ko"):
        page = client.get(LIST, HTTP_ACCEPT_LANGUAGE="ko").content.decode()
        panel = client.get(f"/desk/purchases/{asked.number}/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "내 승인 대기" in page
    assert "승인" in panel and "거부" in panel and "결정 대기" in panel


# --- Query counts ---------------------------------------------------------------------------


def test_list_query_count_is_flat(client, make_purchase, other_agent, django_assert_max_num_queries):
    approver = UserFactory(username="approver", roles=[roles.AGENT])
    client.force_login(approver)

    def pending(n):
        for i in range(n):
            ticket = make_purchase(title=f"Purchase {i}")
            approval_request(actor=other_agent, ticket=ticket, steps=[StepSpec("Manager", "any", users=[approver])])

    pending(3)
    client.get(LIST)  # warm the session and permission caches of the first request
    with django_assert_max_num_queries(8) as few:
        assert client.get(LIST).content.decode().count('value="approve"') == 3
    pending(27)
    with django_assert_max_num_queries(8) as many:
        assert client.get(LIST).content.decode().count('value="approve"') == 30
    assert len(few.captured_queries) == len(many.captured_queries)


def test_overview_query_count_is_flat(purchase, other_agent, django_assert_num_queries):
    def approvers(n, prefix):
        return [UserFactory(username=f"{prefix}{i}", roles=[roles.AGENT]) for i in range(n)]

    few = approvers(3, "few")
    approval_request(actor=other_agent, ticket=purchase, steps=[StepSpec("Few", "all", users=few)])
    for person in few[:2]:
        approval_vote(actor=person, ticket=purchase, decision="approve")
    few[2].has_perm("servicedesk.work_ticket")  # as the console's guard has, in a request
    with django_assert_num_queries(3):
        overview = approval_overview(purchase, few[2])
    assert overview["can_vote"] and len(overview["rounds"][0]["steps"][0]["votes"]) == 3
    many = approvers(30, "many")
    approval_request(actor=other_agent, ticket=purchase, steps=[StepSpec("Many", "quorum", threshold=30, users=many)])
    for person in many[:29]:
        approval_vote(actor=person, ticket=purchase, decision="approve")
    many[29].has_perm("servicedesk.work_ticket")
    with django_assert_num_queries(3):
        overview = approval_overview(purchase, many[29])
    assert len(overview["rounds"]) == 2 and len(overview["rounds"][1]["steps"][0]["decisions"]) == 29
