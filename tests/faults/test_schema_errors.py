"""The schema documents nested item errors, the If-Match 400 on CI deletes, and JSON-only bodies."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def document(django_db_setup, django_db_blocker):
    from rest_framework.test import APIClient

    with django_db_blocker.unblock():
        response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    return response.json()


def bad_request_schema(document, path, method):
    ref = document["paths"][path][method]["responses"]["400"]["content"]["application/json"]["schema"]["$ref"]
    return document["components"]["schemas"][ref.rsplit("/", 1)[1]]


@pytest.mark.parametrize("path, lists", [
    ("/api/v1/sla/definitions/", {"targets"}),
    ("/api/v1/sla/definitions/{id}/", {"targets"}),
    ("/api/v1/sla/calendars/", {"hours", "dates"}),
    ("/api/v1/sla/calendars/{id}/", {"hours", "dates"}),
])
def test_nested_item_errors_are_documented(document, path, lists):
    method = "post" if path.endswith("s/") else "patch"
    schema = bad_request_schema(document, path, method)
    for name in lists:
        items = schema["properties"][name]["items"]["oneOf"]
        assert {"type": "string"} in items
        assert any(item.get("type") == "object" for item in items)


def test_if_match_400_is_documented_on_ci_delete(document):
    responses = document["paths"]["/api/v1/cmdb/cis/{id}/"]["delete"]["responses"]
    assert "400" in responses and "If-Match" in responses["400"]["description"]


def test_request_bodies_are_json_except_uploads(document):
    kinds = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and "requestBody" in operation:
                kinds[(path, method)] = set(operation["requestBody"]["content"])
    assert kinds
    uploads = {key for key, media in kinds.items() if media != {"application/json"}}
    assert uploads == {("/api/v1/incidents/{number}/attachments/", "post")}
    assert kinds[("/api/v1/incidents/{number}/attachments/", "post")] == {"multipart/form-data"}
