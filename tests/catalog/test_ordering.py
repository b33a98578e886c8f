"""Ordering from the portal with the real fulfilment service: the request keeps the form version
and a snapshot of every question and answer, whatever the item becomes later."""

from catalog import services
from catalog.fulfilment import OrderLine, request_submit
from catalog.models import RequestedItem


def test_portal_order_creates_the_request_and_opens_its_page(client, requester, make_item):
    item = make_item()
    client.force_login(requester)
    response = client.post(f"/portal/catalog/items/{item.pk}/", {
        "q_model": "performance", "q_justification": "CAD drawings", "q_count": "2", "quantity": 1})
    assert response.status_code == 302
    ordered = RequestedItem.objects.select_related("request__ticket").get()
    assert response["Location"].endswith(f"{ordered.request.ticket.number}/")
    assert ordered.request.ticket.number.startswith("REQ")
    assert ordered.answers == {"model": "performance", "justification": "CAD drawings", "count": 2}
    assert client.get(response["Location"]).status_code == 200


def test_editing_the_item_never_changes_what_was_ordered(requester, manager, make_item):
    item = make_item()
    request = request_submit(actor=requester, lines=[OrderLine(item=item, answers={"model": "standard"})])
    ordered = RequestedItem.objects.get(request__ticket=request)
    snapshot_before = ordered.snapshot
    v1 = item.current_form

    draft = services.form_draft(actor=manager, item=item)
    services.question_save(actor=manager, form=draft, question=draft.questions.get(key="model"),
                           label="Which model?", choices=[{"value": "ultra", "label": "Ultra"}])
    services.question_save(actor=manager, form=draft, key="colour", type="short_text", label="Colour",
                           required=True)
    services.form_publish(actor=manager, form=draft)
    services.item_save(actor=manager, item=item, name="Laptop (2027 range)")

    ordered.refresh_from_db()
    assert ordered.form_version == v1 and ordered.name == "New laptop"
    assert ordered.snapshot == snapshot_before
    assert snapshot_before[0]["label"] == "Model" and snapshot_before[0]["display"] == "Standard"
    assert list(v1.questions.values_list("key", flat=True)) == ["model", "justification", "count"]
