"""In headless Chromium: the portal's order form shows and hides questions as the person answers
(catalog/static/catalog/order.js, under the Content-Security-Policy), and the server still decides."""

import os
import re

import pytest

from catalog.models import RequestedItem
from tests.catalog.conftest import category, make_item, manager  # noqa: F401 - the catalog's fixtures

from .conftest import CHROMIUM, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.subprocess,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_questions_appear_as_the_person_answers(chromium, live_server, requester, make_item):  # noqa: F811
    item = make_item()
    violations: list[str] = []
    page = sign_in(chromium, live_server, requester, f"/portal/catalog/items/{item.pk}/", violations)
    why = page.locator("textarea[name=q_justification]")
    page.wait_for_url(re.compile(f"/portal/catalog/items/{item.pk}/"))
    assert not why.is_visible()
    assert not page.get_by_text("Answer only if").is_visible()  # the hints are for pages without the script
    page.get_by_role("radio", name="Performance").check()
    assert why.is_visible()
    page.get_by_role("button", name="Send my request").click()
    assert page.get_by_text("Please answer this question.").is_visible()  # the server re-checked
    why.fill("CAD drawings")
    page.get_by_role("button", name="Send my request").click()
    page.wait_for_url(re.compile(r"/portal/requests/REQ\d+/"))
    ordered = RequestedItem.objects.get()
    assert ordered.answers["model"] == "performance" and ordered.answers["justification"] == "CAD drawings"
    assert violations == []
