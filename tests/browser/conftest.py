"""Shared pieces of the browser journeys: headless Chromium and signing in."""

import re
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


def sign_in(browser, live_server, user, next_path, csp_violations: list[str]):
    """A new page signed in as ``user`` (password "password"), on ``next_path``; CSP reports are collected."""
    page = browser.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda message: csp_violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.goto(f"{live_server.url}/accounts/login/?next={next_path}")
    page.get_by_label(re.compile("user", re.I)).fill(user.username)
    page.get_by_label(re.compile("password", re.I)).fill("password")
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    return page
