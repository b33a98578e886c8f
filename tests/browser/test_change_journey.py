"""End to end in headless Chromium: an agent raises a change in the console, two CAB members approve
it, it is scheduled, implemented and closed with a review. Playwright drives /usr/bin/chromium."""

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connections
from django.utils import timezone

from changes.choices import ChangeState, ChangeType
from changes.models import CabRule
from servicedesk.models import ApproverGroup, Ticket

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
    # The live server needs committed data; serialized_rollback restores the rows that data
    # migrations made (roles, CI classes, risk questions) for the tests that run after this one.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


CSP_VIOLATIONS: list[str] = []


def log_in(browser, live_server, user, next_path):
    page = browser.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda message: CSP_VIOLATIONS.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
    page.get_by_label(re.compile("user", re.I)).fill(user.username)
    page.get_by_label(re.compile("password", re.I)).fill("password")
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    return page


@pytest.fixture
def manager(db):
    from accounts import roles
    from accounts.factories import UserFactory

    return UserFactory(username="cm", first_name="Chloe", last_name="Moon", roles=[roles.CHANGE_MANAGER])


@pytest.fixture
def cab_members(db):
    from accounts import roles
    from accounts.factories import UserFactory

    return [UserFactory(username=f"cab{i}", first_name=f"Cab{i}", last_name="Member", roles=[roles.CAB_MEMBER])
            for i in range(1, 4)]


def local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_raise_approve_schedule_implement_close(browser, live_server, agent, team, manager, cab_members):
    try:
        journey(browser, live_server, agent, team, manager, cab_members)
    finally:
        # Under Playwright's sync API the ORM calls here get a connection of their own; close it so the
        # test database can be dropped.
        connections.close_all()


def journey(browser, live_server, agent, team, manager, cab_members):
    group = ApproverGroup.objects.create(name="CAB", chair=manager)
    group.members.set(cab_members)
    CabRule.objects.create(change_type=ChangeType.NORMAL, group=group, policy="quorum", threshold=2, order=1)

    # 1. The agent raises a normal change in the console.
    desk = log_in(browser, live_server, agent, "/desk/changes/new/")
    desk.get_by_label("Title", exact=True).fill("Upgrade the mail relay")
    desk.get_by_label("Implementation plan", exact=True).fill("Install the new package, restart the relay")
    desk.get_by_label("Back-out plan", exact=True).fill("Reinstall the previous package")
    desk.get_by_label("Change manager", exact=True).select_option(label=manager.display_name)
    desk.get_by_role("button", name="Raise the change").click()
    desk.wait_for_url(re.compile(r"/desk/changes/CHG\d+/"))
    number = re.search(r"(CHG\d+)", desk.url).group(1)
    ticket = Ticket.objects.get(number=number)
    assert ticket.change.change_manager == manager

    # 2. Submitted for assessment, then for authorization: the CAB is asked.
    desk.get_by_role("button", name="Submit for assessment").click()
    desk.wait_for_load_state()
    desk.get_by_role("button", name="Request authorization").click()
    desk.wait_for_load_state()
    ticket.refresh_from_db()
    assert ticket.state == ChangeState.AUTHORIZATION

    # 3. Two CAB members approve from the change page.
    for member in cab_members[:2]:
        cab = log_in(browser, live_server, member, f"/desk/changes/{number}/")
        cab.locator("#approvals").get_by_role("button", name="Approve").click()
        cab.wait_for_load_state()
        cab.close()
    ticket.refresh_from_db()
    assert ticket.state == ChangeState.AUTHORIZATION, "approved, but without a window it waits to be scheduled"

    # 4. The agent schedules it with a window that has already started, then implements it.
    desk.reload()
    start = timezone.now() - timedelta(minutes=5)
    desk.locator("summary", has_text="Schedule").click()
    desk.locator("#id_t_scheduled_planned_start").fill(local(start))
    desk.locator("#id_t_scheduled_planned_end").fill(local(start + timedelta(hours=2)))
    desk.locator("form[action$='/transition/']").get_by_role("button", name="Schedule").click()
    desk.wait_for_load_state()
    ticket.refresh_from_db()
    assert ticket.state == ChangeState.SCHEDULED
    desk.get_by_role("button", name="Start implementation").click()
    desk.wait_for_load_state()
    desk.locator("summary", has_text="Finish implementation").click()
    desk.locator("#id_t_review_outcome").select_option(value="successful")
    desk.locator("form[action$='/transition/']").get_by_role("button", name="Finish implementation").click()
    desk.wait_for_load_state()
    ticket.refresh_from_db()
    assert ticket.state == ChangeState.REVIEW

    # 5. Closed with the review.
    desk.locator("summary", has_text="Close after review").click()
    desk.locator("#id_t_closed_review_notes").fill("Went as planned; the relay restarted in 20 seconds.")
    desk.locator("form[action$='/transition/']").get_by_role("button", name="Close after review").click()
    desk.wait_for_load_state()
    ticket.refresh_from_db()
    assert ticket.state == ChangeState.CLOSED
    assert ticket.change.review_notes.startswith("Went as planned")
    assert "Closed" in desk.content()
    assert CSP_VIOLATIONS == []
