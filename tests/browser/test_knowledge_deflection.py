"""In headless Chromium: a requester types a Korean subject on the report form, sees a matching
article in the deflection panel, reads it, and does not file a ticket; a day later it counts as a
deflection. Playwright drives the system Chromium (/usr/bin/chromium)."""

import os
import re
from datetime import timedelta

import pytest
from django.db import connections
from django.utils import timezone

from knowledge import services
from knowledge.choices import Audience
from knowledge.models import DeflectionRead, DeflectionSession, KnowledgeBase
from knowledge.queries import deflection_counts
from servicedesk.models import Ticket

from .test_incident_journey import CHROMIUM, CSP_VIOLATIONS, browser, log_in  # noqa: F401, F811 - the fixture

pytestmark = [
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_korean_subject_finds_an_article_and_no_ticket_is_filed(browser, live_server, requester, agent):  # noqa: F811
    try:
        read_instead_of_reporting(browser, live_server, requester, agent)
    finally:
        connections.close_all()


def read_instead_of_reporting(page_browser, live_server, requester, agent):
    base = KnowledgeBase.objects.create(name="IT help", audience=Audience.PUBLIC)
    article = services.article_create(actor=agent, knowledge_base=base, title="프린터가 인쇄를 안 해요",
                                      body="## 해결 방법\n\n1. 인쇄 대기열을 열고 멈춘 작업을 취소합니다.",
                                      tags=["프린터"])
    services.article_transition(actor=agent, article=article, action="publish")
    tickets_before = Ticket.objects.count()
    CSP_VIOLATIONS.clear()

    page = log_in(page_browser, live_server, requester, "/portal/report/")
    page.wait_for_url(re.compile(r"/portal/report/$"))
    page.wait_for_load_state()  # the deflection script (deferred) is listening
    subject = page.locator("#id_title")
    # Korean input methods compose each syllable: nothing is searched until the composition ends.
    subject.dispatch_event("compositionstart")
    subject.fill("프린터 인쇄가 안 돼요")
    page.wait_for_timeout(600)
    assert page.locator(".kb-suggestions").count() == 0
    subject.dispatch_event("compositionend")
    suggestion = page.locator(".kb-suggestions a", has_text="프린터가 인쇄를 안 해요")
    suggestion.wait_for()
    assert page.locator(".kb-suggestions mark", has_text="인쇄").count() >= 1

    with page.context.expect_page() as opened:
        suggestion.click()
    article_page = opened.value
    article_page.wait_for_load_state()
    assert re.search(rf"/portal/knowledge/{article.pk}/$", article_page.url)
    assert article_page.get_by_role("heading", name="프린터가 인쇄를 안 해요").is_visible()
    article_page.get_by_label("Yes").check()
    article_page.get_by_role("button", name="Send feedback").click()
    article_page.wait_for_url(re.compile(r"#feedback$"))
    assert not CSP_VIOLATIONS

    session = DeflectionSession.objects.get(user=requester)
    assert session.query == "프린터 인쇄가 안 돼요" and session.ticket is None
    assert list(DeflectionRead.objects.values_list("ident", flat=True)) == [str(article.pk)]
    assert Ticket.objects.count() == tickets_before  # no ticket filed
    assert deflection_counts(now=timezone.now() + timedelta(hours=25))["deflected"] == 1
