"""The portal catalog: browse, search, the item page and its order form."""

import pytest
from django.core.exceptions import ValidationError

from catalog import services
from catalog.choices import ItemState
from catalog.views import portal as portal_views
from servicedesk.models import Ticket


@pytest.fixture
def submitted(monkeypatch):
    """Stands in for ``request_submit``: records the call and returns a request ticket."""
    calls = []

    def fake_submit(*, actor, lines, requested_for=None):
        calls.append({"actor": actor, "lines": lines, "requested_for": requested_for})
        return Ticket(number="REQ0000001", kind="request")

    monkeypatch.setattr(portal_views, "request_submit", fake_submit)
    return calls


def test_home_lists_categories_and_searches(client, requester, make_item):
    make_item(name="New laptop", translations={"ko": {"name": "새 노트북"}})
    client.force_login(requester)
    page = client.get("/portal/catalog/").content.decode()
    assert "Hardware" in page and "1 item" in page
    found = client.get("/portal/catalog/", {"q": "노트북"}).content.decode()
    assert "New laptop" in found
    nothing = client.get("/portal/catalog/", {"q": "printer"}).content.decode()
    assert "Nothing matches your search" in nothing


def test_korean_reader_sees_korean_texts(client, requester, make_item):
    item = make_item(name="New laptop", translations={"ko": {"name": "새 노트북"}})
    requester.language = "ko"
    requester.save()
    client.force_login(requester)
    page = client.get(f"/portal/catalog/items/{item.pk}/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "새 노트북" in page and "표준" in page


def test_item_someone_may_not_order_is_a_404(client, requester, other_requester, organisation, make_item, manager):
    finance = make_item(name="ERP licence", audience="restricted", organisations=[organisation])
    client.force_login(other_requester)
    assert client.get(f"/portal/catalog/items/{finance.pk}/").status_code == 404
    assert client.get(f"/portal/catalog/categories/{finance.category_id}/").status_code == 404
    assert client.get("/portal/catalog/items/abc/").status_code == 404
    client.force_login(requester)
    assert client.get(f"/portal/catalog/items/{finance.pk}/").status_code == 200
    services.item_set_state(actor=manager, item=finance, state=ItemState.RETIRED)
    assert client.get(f"/portal/catalog/items/{finance.pk}/").status_code == 404


def test_form_works_without_javascript(client, requester, make_item):
    item = make_item()
    client.force_login(requester)
    page = client.get(f"/portal/catalog/items/{item.pk}/").content.decode()
    # Every question is in the page; the conditional one says when to answer it.
    assert 'name="q_justification"' in page
    assert "Answer only if “Model” is Performance." in page
    assert "data-visible-if=" in page and "catalog/order.js" in page


def test_order_checks_the_answers_on_the_server(client, requester, make_item, submitted):
    item = make_item()
    client.force_login(requester)
    response = client.post(f"/portal/catalog/items/{item.pk}/", {"q_model": "performance", "quantity": 1})
    assert response.status_code == 400
    assert "Please answer this question." in response.content.decode()
    assert submitted == []


def test_order_sends_the_answers_and_goes_to_the_request(client, requester, make_item, submitted, agent):
    item = make_item()
    client.force_login(requester)
    response = client.post(f"/portal/catalog/items/{item.pk}/", {
        "q_model": "standard", "q_justification": "forged", "q_count": "2", "quantity": 1,
        "requested_for": agent.pk})
    assert response.status_code == 302
    (call,) = submitted
    line = call["lines"][0]
    assert call["actor"] == requester and call["requested_for"] == agent
    assert line.item == item and line.quantity == 1
    assert line.answers["model"] == "standard" and line.answers["count"] == "2"


def test_refused_order_shows_the_service_errors(client, requester, make_item, monkeypatch):
    item = make_item()

    class Refused(ValidationError):
        def __init__(self):
            self.errors = {"items": [{"count": ["Too many screens today."], "item": ["Sold out."]}],
                           "requested_for": ["Not them."]}
            super().__init__("refused")

    def refuse(**kwargs):
        raise Refused()

    monkeypatch.setattr(portal_views, "request_submit", refuse)
    client.force_login(requester)
    response = client.post(f"/portal/catalog/items/{item.pk}/", {"q_model": "standard", "quantity": 1})
    page = response.content.decode()
    assert response.status_code == 400
    assert "Too many screens today." in page and "Sold out." in page and "Not them." in page


def test_quantity_is_bounded_by_the_item(client, requester, make_item, submitted):
    item = make_item(max_quantity=2)
    client.force_login(requester)
    response = client.post(f"/portal/catalog/items/{item.pk}/", {"q_model": "standard", "quantity": 3})
    assert response.status_code == 400 and submitted == []


def _items(make_item, manager, n):
    for i in range(n):
        make_item(name=f"Item {i:02d}", questions=[])


def test_home_and_category_query_counts_do_not_grow(client, requester, make_item, manager,
                                                    django_assert_max_num_queries):
    _items(make_item, manager, 3)
    client.force_login(requester)
    category_id = make_item(name="Probe", questions=[]).category_id
    pages = ["/portal/catalog/", f"/portal/catalog/categories/{category_id}/", "/portal/catalog/?q=item"]
    counts = {}
    for url in pages:
        client.get(url)  # warm the session and caches
        with django_assert_max_num_queries(12) as few:
            assert client.get(url).status_code == 200
        counts[url] = len(few.captured_queries)
    _items(make_item, manager, 27)
    for url in pages:
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200
