"""End to end in headless Chromium: a requester orders a new colleague's onboarding from the portal,
her manager approves it on the portal, and agents of two teams complete its tasks in the console in
the order their dependencies allow. Playwright drives /usr/bin/chromium."""

import os
import re

import pytest

from catalog.choices import QuestionType
from catalog.models import ApprovalRule, FulfilmentTask, TaskTemplate
from servicedesk.models import Ticket

from .conftest import CHROMIUM, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


CSP_VIOLATIONS: list[str] = []


def log_in(browser, live_server, user, next_path):
    return sign_in(browser, live_server, user, next_path, CSP_VIOLATIONS)


@pytest.fixture
def onboarding(db, agent, other_agent):
    from accounts.factories import TeamFactory
    from catalog.models import CatalogCategory
    from tests.requests.conftest import make_item

    applications = TeamFactory(name="Applications", members=[agent])
    workplace = TeamFactory(name="Workplace", members=[other_agent])
    item = make_item(CatalogCategory.objects.create(name="People"), applications, name="New employee onboarding",
                     questions=[
                         ("employee_name", QuestionType.SHORT_TEXT, {"required": True}),
                         ("laptop_model", QuestionType.CHOICE, {"required": True, "choices": [
                             {"value": "standard", "label": "Standard 14 inch"},
                             {"value": "performance", "label": "Performance 16 inch"}]}),
                     ])
    ApprovalRule.objects.create(item=item, name="Manager", source="manager")
    accounts = TaskTemplate.objects.create(item=item, key="accounts", position=1, name="Create accounts",
                                           team=applications, description="For {employee_name}.")
    laptop = TaskTemplate.objects.create(item=item, key="laptop", position=2, name="Set up the laptop",
                                         team=workplace, description="Model: {laptop_model}.")
    laptop.depends_on.add(accounts)
    return item


def task(request_ticket, key) -> Ticket:
    return FulfilmentTask.objects.get(requested_item__request_id=request_ticket.pk, key=key).ticket


def test_order_approve_and_fulfil_an_onboarding(chromium, live_server, onboarding, agent, other_agent):
    from accounts import roles
    from accounts.factories import UserFactory

    chris = UserFactory(username="chris", first_name="Chris", last_name="Evans", roles=[roles.REQUESTER])
    alice = UserFactory(username="alice", first_name="Alice", last_name="Kim", manager=chris,
                        roles=[roles.REQUESTER])

    # The requester orders from the catalog's item page.
    page = log_in(chromium, live_server, alice, f"/portal/catalog/items/{onboarding.pk}/")
    page.locator("[name=q_employee_name]").fill("Jisoo Han")
    page.get_by_label("Standard 14 inch").check()
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_url(re.compile(r"/portal/requests/REQ\d+/"))
    assert page.get_by_text("Waiting for Chris Evans to approve").is_visible()
    request_ticket = Ticket.objects.get(kind="request")
    page.close()

    # Her manager approves on the portal.
    page = log_in(chromium, live_server, chris, f"/portal/requests/{request_ticket.number}/")
    assert page.get_by_text("Your approval is needed").is_visible()
    page.get_by_role("button", name="Approve").click()
    page.get_by_text("Thank you. You approved it.").wait_for()
    page.close()

    # The accounts first (the laptop waits for them), then the laptop, by two teams' agents.
    accounts, laptop = task(request_ticket, "accounts"), task(request_ticket, "laptop")
    assert laptop.state == "waiting"
    page = log_in(chromium, live_server, agent, f"/desk/requests/tasks/{accounts.number}/")
    assert page.get_by_text("Jisoo Han").first.is_visible()
    page.get_by_role("button", name="Close complete").click()
    page.get_by_text("Closed complete").first.wait_for()
    page.close()

    page = log_in(chromium, live_server, other_agent, "/desk/requests/tasks/?queue=my_teams")
    page.get_by_role("link", name=laptop.number).click()
    assert page.get_by_text("Model: Standard 14 inch.").is_visible()
    page.get_by_role("button", name="Assign to me").click()
    page.get_by_role("button", name="Start work").click()
    page.get_by_role("button", name="Close complete").click()
    page.get_by_text("Closed complete").first.wait_for()
    page.close()

    request_ticket.refresh_from_db()
    assert request_ticket.state == "complete"
    page = log_in(chromium, live_server, alice, f"/portal/requests/{request_ticket.number}/")
    assert page.get_by_text("Delivered").is_visible()
    page.close()
    assert not CSP_VIOLATIONS
