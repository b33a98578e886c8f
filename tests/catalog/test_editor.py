"""The console catalog editor: who may use it, and that its forms save through the services."""

import json

import pytest

from catalog.choices import FormState, ItemState
from catalog.models import CatalogItem, Question, TaskTemplate


@pytest.mark.parametrize("url", ["/desk/catalog/", "/desk/catalog/items/new/", "/desk/catalog/categories/new/"])
def test_only_catalog_managers(client, requester, agent, manager, url):
    client.force_login(requester)
    assert client.get(url).status_code == 302  # requesters go to the portal
    client.force_login(agent)
    assert client.get(url).status_code == 403
    client.force_login(manager)
    assert client.get(url).status_code == 200


def test_agent_cannot_post_to_the_editor(client, agent, make_item):
    item = make_item()
    client.force_login(agent)
    assert client.post(f"/desk/catalog/items/{item.pk}/state/", {"state": "retired"}).status_code == 403
    item.refresh_from_db()
    assert item.state == ItemState.ACTIVE


def test_create_item_edit_form_and_publish(client, manager, category, team):
    client.force_login(manager)
    response = client.post("/desk/catalog/items/new/", {
        "category": category.pk, "name": "Headset", "audience": "everyone", "max_quantity": 2, "position": 1,
        "fulfilment_team": team.pk, "ko_name": "헤드셋"})
    item = CatalogItem.objects.get(name="Headset")
    assert response.status_code == 302 and item.translations == {"ko": {"name": "헤드셋"}}

    base = f"/desk/catalog/items/{item.pk}/form/"
    response = client.post(base + "questions/new/", {
        "key": "kind", "type": "choice", "label": "Kind", "required": "on",
        "choices_text": "wired | Wired | 유선\nwireless | Wireless | 무선"})
    assert response.status_code == 302
    question = Question.objects.get(key="kind")
    assert question.choices[1] == {"value": "wireless", "label": "Wireless", "translations": {"ko": "무선"}}

    response = client.post(base + "questions/new/", {
        "key": "reason", "type": "long_text", "label": "Why wireless?",
        "visible_if": json.dumps({"question": "kind", "op": "equals", "value": "wireless"})})
    assert response.status_code == 302

    # Bad JSON and a condition on an unknown question stay on the page with the input.
    response = client.post(base + "questions/new/", {"key": "x", "type": "short_text", "label": "X",
                                                    "visible_if": "{not json"})
    assert response.status_code == 400 and "not valid JSON" in response.content.decode()
    response = client.post(base + "questions/new/", {"key": "x", "type": "short_text", "label": "X",
                                                    "visible_if": '{"question": "ghost", "op": "equals", "value": 1}'})
    assert response.status_code == 400 and "Unknown question: ghost" in response.content.decode()

    assert client.get(base).status_code == 200
    preview = client.post(base + "preview/", {})
    assert preview.status_code == 400 and "Please answer this question." in preview.content.decode()
    assert "These answers would be accepted" in client.post(base + "preview/", {"q_kind": "wired"}).content.decode()

    client.post(base + "publish/")
    client.post(f"/desk/catalog/items/{item.pk}/state/", {"state": "active"})
    item.refresh_from_db()
    assert item.state == ItemState.ACTIVE and item.current_form.state == FormState.PUBLISHED


def test_publish_refused_shows_a_message(client, manager, make_item):
    item = make_item(publish=False)
    client.force_login(manager)
    response = client.post(f"/desk/catalog/items/{item.pk}/state/", {"state": "active"}, follow=True)
    assert "Publish the item" in response.content.decode()


def test_tasks_and_approvals_pages(client, manager, make_item, team):
    item = make_item()
    client.force_login(manager)
    client.post(f"/desk/catalog/items/{item.pk}/tasks/new/", {"key": "prep", "name": "Prepare", "team": team.pk,
                                                              "position": 1})
    prep = TaskTemplate.objects.get(key="prep")
    response = client.post(f"/desk/catalog/items/{item.pk}/tasks/new/", {
        "key": "deliver", "name": "Deliver", "position": 2, "depends_on": [prep.pk]})
    assert response.status_code == 302
    deliver = TaskTemplate.objects.get(key="deliver")
    response = client.post(f"/desk/catalog/items/{item.pk}/tasks/{prep.pk}/", {
        "key": "prep", "name": "Prepare", "position": 1, "depends_on": [deliver.pk]})
    assert response.status_code == 400 and "wait for each other" in response.content.decode()
    response = client.post(f"/desk/catalog/items/{item.pk}/approvals/new/", {
        "name": "Manager", "position": 1, "source": "manager", "policy": "any"})
    assert response.status_code == 302
    page = client.get(f"/desk/catalog/items/{item.pk}/fulfilment/").content.decode()
    assert "Deliver" in page and "Manager" in page


def test_deeply_nested_json_is_a_form_error(client, manager, make_item):
    item = make_item(publish=False)
    client.force_login(manager)
    response = client.post(f"/desk/catalog/items/{item.pk}/form/questions/new/", {
        "key": "x", "type": "short_text", "label": "X", "visible_if": "[" * 3000 + "]" * 3000})
    assert response.status_code == 400 and "nest at most 5 levels" in response.content.decode()
