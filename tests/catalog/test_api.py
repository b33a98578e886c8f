"""The catalog API: requesters read what they may order; catalog managers write through services."""

import pytest

from catalog.choices import FormState, ItemState
from catalog.models import CatalogItem

ITEMS = "/api/v1/catalog/items/"
CATEGORIES = "/api/v1/catalog/categories/"


def test_requester_lists_only_orderable_items(api, requester, other_requester, organisation, make_item, manager):
    mouse = make_item(name="Mouse")
    erp = make_item(name="ERP licence", audience="restricted", organisations=[organisation])
    make_item(name="Draft", publish=False)
    names = [row["name"] for row in api(other_requester).get(ITEMS).json()["results"]]
    assert names == ["Mouse"]
    assert api(other_requester).get(f"{ITEMS}{erp.pk}/").status_code == 404
    assert {row["name"] for row in api(requester).get(ITEMS).json()["results"]} == {"Mouse", "ERP licence"}
    assert [row["name"] for row in api(requester).get(ITEMS, {"q": "erp"}).json()["results"]] == ["ERP licence"]
    assert api(requester).get(ITEMS, {"category": "x"}).status_code == 400
    assert [c["name"] for c in api(other_requester).get(CATEGORIES).json()["results"]] == ["Hardware"]
    assert mouse.pk


def test_item_detail_has_the_form_in_the_readers_language(api, requester, make_item):
    item = make_item(translations={"ko": {"name": "새 노트북"}})
    body = api(requester).get(f"{ITEMS}{item.pk}/", HTTP_ACCEPT_LANGUAGE="ko").json()
    assert body["localized"]["name"] == "새 노트북" and body["name"] == "New laptop"
    form = body["form"]
    assert form["number"] == 1 and [q["key"] for q in form["questions"]] == ["model", "justification", "count"]
    model = form["questions"][0]
    assert model["choices"] == [{"value": "standard", "label": "표준"}, {"value": "performance", "label": "고성능"}]
    assert form["questions"][1]["visible_if"] == {"question": "model", "op": "equals", "value": "performance"}


def test_requesters_and_agents_cannot_write(api, requester, agent, category, make_item):
    item = make_item()
    for person in (requester, agent):
        client = api(person)
        assert client.post(ITEMS, {"category": category.pk, "name": "Mine"}, format="json").status_code == 403
        assert client.post(f"{ITEMS}{item.pk}/draft/").status_code == 403
        assert client.get("/api/v1/catalog/questions/", {"form": item.current_form_id}).status_code == 403
        assert client.post(CATEGORIES, {"name": "Mine"}, format="json").status_code == 403
    assert CatalogItem.objects.count() == 1


def test_manager_builds_and_publishes_an_item(api, manager, category, team):
    client = api(manager)
    response = client.post(ITEMS, {"category": category.pk, "name": "Monitor", "fulfilment_team": team.pk,
                                   "price": "199.00", "currency": "eur"}, format="json")
    assert response.status_code == 201, response.json()
    item_id = response.json()["id"]
    assert response.json()["currency"] == "EUR" and response.json()["state"] == ItemState.DRAFT

    draft = client.get(f"{ITEMS}{item_id}/draft/").json()
    assert draft["state"] == FormState.DRAFT
    bad = client.post("/api/v1/catalog/questions/", {"form": draft["id"], "key": "size", "type": "number",
                                                     "label": "Size", "min_value": 30, "max_value": 20},
                      format="json")
    assert bad.status_code == 400 and "max_value" in bad.json()
    created = client.post("/api/v1/catalog/questions/", {"form": draft["id"], "key": "size", "type": "number",
                                                         "label": "Size", "min_value": 20, "max_value": 34},
                          format="json")
    assert created.status_code == 201
    published = client.post(f"{ITEMS}{item_id}/publish/")
    assert published.status_code == 200 and published.json()["state"] == FormState.PUBLISHED
    # The published question can no longer change.
    changed = client.patch(f"/api/v1/catalog/questions/{created.json()['id']}/", {"label": "Other"}, format="json")
    assert changed.status_code == 409 and changed.json()["code"] == "form_not_draft"
    opened = client.post(f"{ITEMS}{item_id}/state/", {"state": "active"}, format="json")
    assert opened.status_code == 200 and opened.json()["form"]["questions"][0]["key"] == "size"


def test_manager_task_templates_and_rules(api, manager, make_item, team):
    item = make_item()
    client = api(manager)
    first = client.post("/api/v1/catalog/task-templates/", {"item": item.pk, "key": "a", "name": "A",
                                                            "team": team.pk}, format="json")
    second = client.post("/api/v1/catalog/task-templates/", {"item": item.pk, "key": "b", "name": "B",
                                                             "depends_on": [first.json()["id"]]}, format="json")
    assert second.status_code == 201 and second.json()["depends_on"] == [first.json()["id"]]
    cycle = client.patch(f"/api/v1/catalog/task-templates/{first.json()['id']}/",
                         {"depends_on": [second.json()["id"]]}, format="json")
    assert cycle.status_code == 400 and "depends_on" in cycle.json()
    listed = client.get("/api/v1/catalog/task-templates/", {"item": item.pk}).json()["results"]
    assert [t["key"] for t in listed] == ["a", "b"]
    rule = client.post("/api/v1/catalog/approval-rules/", {"item": item.pk, "name": "Manager",
                                                           "source": "manager"}, format="json")
    assert rule.status_code == 201 and rule.json()["position"] == 1
    assert client.delete(f"/api/v1/catalog/approval-rules/{rule.json()['id']}/").status_code == 204


@pytest.mark.parametrize("who", ["requester", "manager"])
def test_item_list_query_count_is_flat(api, requester, manager, make_item, who, django_assert_max_num_queries):
    person = {"requester": requester, "manager": manager}[who]
    client = api(person)
    for i in range(3):
        make_item(name=f"Item {i}", questions=[])
    client.get(ITEMS)
    with django_assert_max_num_queries(6) as few:
        assert len(client.get(ITEMS).json()["results"]) == 3
    for i in range(3, 30):
        make_item(name=f"Item {i}", questions=[])
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get(ITEMS).json()["results"]) == 30
