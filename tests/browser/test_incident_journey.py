"""End to end in headless Chromium: a requester reports on the portal, an agent resolves in the
console, the requester confirms. Playwright drives the system Chromium (/usr/bin/chromium)."""

import os
import re
from pathlib import Path

import pytest
from django.db import connections

from incidents.choices import IncidentState
from servicedesk.models import Ticket

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
    # The live server needs committed data; serialized_rollback restores the rows that data
    # migrations made (roles, CI classes) for the tests that run after this one.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Playwright's sync API runs an event loop in this thread; the ORM calls below are plain blocking calls.
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


# What the browser reports when the Content-Security-Policy blocks something (an inline script, a handler).
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


def test_report_resolve_confirm(browser, live_server, requester, agent, team, service):
    try:
        report_resolve_confirm(browser, live_server, requester, agent, team, service)
    finally:
        # Under Playwright's sync API the ORM calls here get a database connection of their own,
        # which nothing else closes; left open, it keeps the test database from being dropped.
        connections.close_all()


def report_resolve_confirm(browser, live_server, requester, agent, team, service):
    from cmdb.factories import ServiceFactory

    ServiceFactory(name="Payroll")  # one more service than the incident's, for the edit form's list
    # 1. The requester reports a problem in plain words.
    portal = log_in(browser, live_server, requester, "/portal/report/")
    portal.get_by_label("What is wrong?").fill("메일 서버 장애 — cannot send e-mail")
    portal.get_by_label(re.compile("Tell us more")).fill("Outlook says **server unavailable**.")
    portal.get_by_label("Which service is affected?").select_option(label=service.name)
    portal.get_by_label("I can't work at all").check()
    portal.get_by_label("Just me").check()
    portal.get_by_role("button", name="Send my request").click()
    portal.wait_for_url(re.compile(r"/portal/tickets/INC\d+/"))
    number = re.search(r"(INC\d+)", portal.url).group(1)
    assert "received your request" in portal.content()

    ticket = Ticket.objects.get(number=number)
    assert ticket.state == IncidentState.NEW and ticket.team == team and ticket.priority == 3

    # 2. The agent finds it in the console queue and resolves it.
    desk = log_in(browser, live_server, agent, "/desk/?queue=my_teams")
    desk.get_by_role("link", name=number).click()
    desk.wait_for_url(re.compile(rf"/desk/incidents/{number}/"))
    # The edit form's service select holds the current service until the form opens, then all.
    assert desk.locator("#id_edit-service option").count() == 2
    desk.locator("summary", has_text="Edit fields").click()
    # A locator wait, not wait_for_function: the page's Content-Security-Policy forbids eval.
    desk.locator("#id_edit-service option", has_text="Payroll").wait_for(state="attached")
    assert desk.locator("#id_edit-service").input_value() == str(service.pk)
    # An open form hides its summary; Cancel closes it (by reloading the page).
    desk.locator("#edit").get_by_role("link", name="Cancel").click()
    desk.wait_for_load_state()
    desk.locator("summary", has_text="Resolve").click()
    desk.get_by_label(re.compile("Resolution code")).select_option(value="solved_permanently")
    desk.get_by_label(re.compile("Resolution notes")).fill("Restarted the mail relay; sending works again.")
    desk.locator("form[action$='/transition/']").get_by_role("button", name="Resolve").click()
    desk.wait_for_load_state()
    ticket.refresh_from_db()
    assert ticket.state == IncidentState.RESOLVED

    # 3. The requester sees the fix and confirms it.
    portal.reload()
    assert "Restarted the mail relay" in portal.content()
    portal.get_by_role("button", name=re.compile("it's fixed")).click()
    portal.wait_for_load_state()
    ticket.refresh_from_db()
    assert ticket.state == IncidentState.CLOSED
    assert ticket.closed_at is not None
    assert CSP_VIOLATIONS == []
