"""Deeply nested JSON, NUL bytes in URLs, and unexpected errors: 400/404, and JSON under /api/."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts.factories import UserFactory
from esm.parsers import MAX_JSON_DEPTH

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000


@pytest.mark.parametrize("path", ["/api/v1/incidents/", "/api/v1/sla/calendars/", "/api/v1/cmdb/cis/",
                                  "/api/v1/auth/token/"])
def test_json_nested_a_thousand_levels_is_a_400(api, team, path):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    response = api(admin).post(path, DEEP, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "nested more than" in response.json()["detail"]


def test_moderate_nesting_is_parsed_and_just_past_the_limit_is_not(api, agent):
    client = api(agent)
    ok = {"title": "x", "deep": [[[["fine"]]]]}
    assert client.post("/api/v1/incidents/", ok, format="json").status_code == 201
    too_deep = "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)
    assert client.post("/api/v1/incidents/", too_deep, content_type="application/json").status_code == 400


def test_deeply_nested_cursor_is_a_400(api, agent):
    import base64

    cursor = base64.urlsafe_b64encode(DEEP.encode()).decode()
    response = api(agent).get("/api/v1/incidents/", {"cursor": cursor})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/desk/incidents/INC%00/", "/portal/tickets/INC%00/", "/desk/cmdb/%00/"])
def test_nul_in_a_page_url_is_a_404(client, agent, path):
    client.force_login(agent)
    assert client.get(path).status_code == 404


def test_nul_in_an_api_url_or_query_is_json(api, agent):
    response = api(agent).get("/api/v1/incidents/INC%00/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    response = api(agent).get("/api/v1/incidents/", {"q": "a\x00b"})
    assert response.status_code == 400 and "q" in response.json()  # an error on the field


def test_unknown_api_path_is_a_json_404(api, agent):
    response = api(agent).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}
    assert response["X-Frame-Options"] == "DENY", "headers set by other middleware are kept"


def test_an_unexpected_error_in_the_api_is_a_json_500(agent, team, monkeypatch):
    from incidents.api import views

    def boom(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "incident_rows_queryset", boom)
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(agent)
    response = client.get("/api/v1/incidents/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "A server error occurred.", "code": "server_error"}


def test_pages_keep_html_errors(agent):
    client = Client()
    client.force_login(agent)
    response = client.get("/desk/no-such-page/")
    assert response.status_code == 404 and "application/json" not in response["Content-Type"]


def test_api_bodies_are_json_only(api, agent, team):
    response = api(agent).post("/api/v1/incidents/", "title=Form+body", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"
    response = api(agent).post("/api/v1/incidents/", {"title": "JSON body"}, format="json")
    assert response.status_code == 201
