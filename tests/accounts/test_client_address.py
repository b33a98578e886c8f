"""X-Forwarded-For counts only when it comes from a proxy we trust; every throttle uses that address."""

import pytest
from django.test import RequestFactory

from esm.net import client_address

TOKEN = "/api/v1/auth/token/"


def address(forwarded: str | None, peer: str = "203.0.113.9") -> str:
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_address(RequestFactory().get("/", **extra))


def test_without_a_trusted_proxy_the_socket_address_counts(settings):
    settings.TRUSTED_PROXIES, settings.BEHIND_TLS_PROXY = [], False
    assert address("1.2.3.4") == "203.0.113.9"
    assert address(None) == "203.0.113.9"


def test_a_trusted_proxy_names_the_client(settings):
    settings.TRUSTED_PROXIES, settings.BEHIND_TLS_PROXY = ["10.0.0.0/8", "192.0.2.1"], False
    assert address("198.51.100.7", peer="10.1.1.1") == "198.51.100.7"
    # What the client wrote itself sits left of what our proxies added: it is ignored.
    assert address("6.6.6.6, 198.51.100.7, 192.0.2.1", peer="10.1.1.1") == "198.51.100.7"
    assert address("garbage, 198.51.100.7", peer="10.1.1.1") == "198.51.100.7"
    assert address("198.51.100.7, not-an-ip", peer="10.1.1.1") == "10.1.1.1"
    assert address(None, peer="10.1.1.1") == "10.1.1.1"
    # A peer that is not a trusted proxy cannot speak for anyone else.
    assert address("198.51.100.7", peer="203.0.113.9") == "203.0.113.9"


def test_behind_tls_proxy_alone_trusts_the_one_proxy_in_front(settings):
    settings.TRUSTED_PROXIES, settings.BEHIND_TLS_PROXY = [], True
    assert address("6.6.6.6, 198.51.100.7", peer="172.17.0.1") == "198.51.100.7"
    assert address(None, peer="172.17.0.1") == "172.17.0.1"


@pytest.mark.django_db
def test_a_new_forwarded_address_on_each_request_does_not_escape_the_token_throttle(api, requester, settings):
    settings.TRUSTED_PROXIES, settings.BEHIND_TLS_PROXY = [], False
    settings.LOGIN_FAILURE_LIMIT = settings.LOGIN_ADDRESS_FAILURE_LIMIT = 1000  # the rate throttle alone
    client = api(None)
    answers = [client.post(TOKEN, {"username": "alice", "password": "guess"}, format="json",
                           HTTP_X_FORWARDED_FOR=f"10.0.{i}.1").status_code for i in range(12)]
    assert answers[:10] == [400] * 10 and answers[10:] == [429, 429]


@pytest.mark.django_db
def test_the_login_lockout_counts_by_the_same_address(client, requester, other_requester, settings):
    settings.TRUSTED_PROXIES, settings.BEHIND_TLS_PROXY = [], False
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 3
    for i in range(3):
        client.post("/accounts/login/", {"username": f"x{i}", "password": "guess"}, HTTP_X_FORWARDED_FOR=f"10.0.{i}.1")
    response = client.post("/accounts/login/", {"username": "bob", "password": "password"},
                           HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert "Too many failed log-in attempts" in response.content.decode()
