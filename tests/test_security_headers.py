"""Security headers: a Content-Security-Policy without inline script, HSTS behind TLS, and no
caching of what a signed-in person sees; and no template left with inline script."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def csp(response) -> dict[str, str]:
    return {part.split()[0]: " ".join(part.split()[1:]) for part in response["Content-Security-Policy"].split("; ")}


def test_pages_have_a_policy_without_inline_script(client):
    for response in (client.get(reverse("login")), client.get("/desk/"), client.get("/nowhere/")):
        policy = csp(response)
        assert policy["script-src"] == "'self'"
        assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
        assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"


def test_api_answers_carry_the_policy_too(api, agent):
    assert csp(api(agent).get("/api/v1/incidents/"))["default-src"] == "'self'"


def test_no_template_has_inline_script_or_event_handlers():
    roots = [Path(django_settings.BASE_DIR) / "templates",
             *Path(django_settings.BASE_DIR).glob("*/templates")]
    offenders = []
    for root in roots:
        for path in root.rglob("*.html"):
            text = path.read_text()
            # json_script writes data (type="application/json"), which the policy does not run.
            inline = [m for m in re.finditer(r"<script(?![^>]*\bsrc=)[^>]*>", text) if "application/json" not in m.group()]
            handlers = re.findall(r"\son[a-z]+\s*=", text)
            if inline or handlers:
                offenders.append(str(path))
    assert offenders == []


def test_signed_in_pages_are_not_stored(client, agent, team):
    client.force_login(agent)
    response = client.get("/desk/", follow=True)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]


def test_api_answers_to_a_token_are_not_stored(api, agent):
    assert api(agent).get("/api/v1/incidents/")["Cache-Control"] == "no-store"


def test_anonymous_public_answers_keep_their_caching(client):
    assert client.get("/robots.txt").get("Cache-Control") is None
    assert "max-age=86400" in client.get("/favicon.ico")["Cache-Control"]


def test_hsts_behind_tls(client):
    with override_settings(SECURE_HSTS_SECONDS=31536000, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        secure = client.get(reverse("login"), HTTP_X_FORWARDED_PROTO="https")
        assert secure["Strict-Transport-Security"] == "max-age=31536000"
        assert "Strict-Transport-Security" not in client.get(reverse("login"))  # plain HTTP: never


def test_hsts_is_on_when_behind_tls_proxy(monkeypatch):
    import importlib

    import esm.settings as module

    monkeypatch.setenv("BEHIND_TLS_PROXY", "1")
    try:
        assert importlib.reload(module).SECURE_HSTS_SECONDS >= 180 * 24 * 3600
        monkeypatch.delenv("BEHIND_TLS_PROXY")
        monkeypatch.delenv("SECURE_COOKIES", raising=False)
        assert importlib.reload(module).SECURE_HSTS_SECONDS == 0
    finally:
        monkeypatch.undo()
        importlib.reload(module)


def test_api_docs_work_without_inline_script(client, agent):
    client.force_login(agent)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    script_url = re.search(r'<script src="([^"]*script=[^"]*)"', html).group(1).replace("&amp;", "&")
    script = client.get(script_url)
    assert script.status_code == 200 and script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()
