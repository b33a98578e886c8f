"""Failed log-ins lock the account and the client address, on the log-in page, the admin and the
API token endpoint alike; the lockout expires, is in the audit trail, and needs no cache."""

from datetime import timedelta

import pghistory.models
import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from accounts.factories import UserFactory
from accounts.models import LockoutScope, LoginFailure, LoginLockout

pytestmark = pytest.mark.django_db
TOKEN = "/api/v1/auth/token/"
LOGIN = "/accounts/login/"
LOCKED = "Too many failed log-in attempts"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_ADDRESS_FAILURE_LIMIT = 8
    settings.LOGIN_LOCKOUT_MINUTES = 15


def login(client, username, password, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_wrong_passwords_lock_the_account_then_the_right_one_is_refused(client, requester):
    for _ in range(4):
        response = login(client, "alice", "guess")
        assert response.status_code == 200 and LOCKED not in response.content.decode()
    fifth = login(client, "alice", "guess")
    assert LOCKED in fifth.content.decode() and "15 minutes" in fifth.content.decode()
    right = login(client, "alice", "password")
    assert right.status_code == 200 and LOCKED in right.content.decode()
    assert "_auth_user_id" not in client.session
    # The same account from another address is locked too: this is the account's lockout.
    assert LOCKED in login(client, "ALICE", "password", REMOTE_ADDR="10.9.9.9").content.decode()


def test_the_lockout_expires(client, requester):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(5):
            login(client, "alice", "guess")
        traveller.shift(timedelta(minutes=14))
        assert LOCKED in login(client, "alice", "password").content.decode()
        traveller.shift(timedelta(minutes=2))
        response = login(client, "alice", "password")
        assert response.status_code == 302 and client.session["_auth_user_id"] == str(requester.pk)
    assert not LoginFailure.objects.filter(username="alice").exists()  # a success clears the count


def test_failures_after_an_expired_lockout_start_a_new_count(client, requester):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        for _ in range(5):
            login(client, "alice", "guess")
        traveller.shift(timedelta(minutes=16))
        assert LOCKED not in login(client, "alice", "guess").content.decode()  # one failure, not six
        assert LoginLockout.objects.count() == 1


def test_one_address_trying_many_accounts_is_locked(client, requester, other_requester):
    for i in range(8):
        login(client, f"nobody{i}", "guess")
    assert LoginLockout.objects.filter(scope=LockoutScope.ADDRESS, key="127.0.0.1").exists()
    assert LOCKED in login(client, "bob", "password").content.decode()
    response = login(client, "bob", "password", REMOTE_ADDR="10.0.0.7")  # bob's account is not locked
    assert response.status_code == 302


def test_the_lockout_is_in_the_audit_trail(client, requester):
    for _ in range(5):
        login(client, "alice", "guess")
    lockout = LoginLockout.objects.get()
    assert (lockout.scope, lockout.key, lockout.failures) == (LockoutScope.ACCOUNT, "alice", 5)
    assert pghistory.models.Events.objects.references(lockout).filter(pgh_label="insert").exists()


def test_the_counts_do_not_depend_on_the_cache(client, requester):
    for _ in range(5):
        login(client, "alice", "guess")
        cache.clear()
    assert LOCKED in login(client, "alice", "password").content.decode()


def test_admin_login_is_locked_too(client, db):
    UserFactory(username="root", is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for _ in range(5):
        client.post(url, {"username": "root", "password": "guess"})
    response = client.post(url, {"username": "root", "password": "password"})
    assert response.status_code == 200 and LOCKED in response.content.decode()
    assert LoginFailure.objects.filter(path="admin").count() == 5


def test_token_endpoint_is_locked_too(api, requester):
    anonymous_api = api(None)
    for _ in range(4):
        assert anonymous_api.post(TOKEN, {"username": "alice", "password": "guess"}, format="json").status_code == 400
    fifth = anonymous_api.post(TOKEN, {"username": "alice", "password": "guess"}, format="json")
    assert fifth.status_code == 429 and fifth.data["code"] == "login_locked"
    right = anonymous_api.post(TOKEN, {"username": "alice", "password": "password"}, format="json")
    assert right.status_code == 429 and right.data["code"] == "login_locked" and "token" not in right.data
    assert LOCKED in right.data["detail"] and 0 < right.data["retry_after"] <= 15 * 60
    assert int(right["Retry-After"]) == right.data["retry_after"]


def test_failures_are_shared_between_paths(client, api, requester):
    anonymous_api = api(None)
    for _ in range(3):
        login(client, "alice", "guess")
    for _ in range(2):
        anonymous_api.post(TOKEN, {"username": "alice", "password": "guess"}, format="json")
    assert LOCKED in login(client, "alice", "password").content.decode()


def test_deleting_the_lockout_lifts_it(client, requester):
    for _ in range(5):
        login(client, "alice", "guess")
    LoginLockout.objects.all().delete()
    assert login(client, "alice", "password").status_code == 302


def test_no_login_path_bypasses_the_lockout(settings):
    """Every password check goes through accounts.lockout.authenticate (and so through its counts)."""
    import re
    from pathlib import Path

    base = Path(settings.BASE_DIR)
    calls = [str(path.relative_to(base)) for app in ("accounts", "esm", "servicedesk", "incidents", "cmdb", "sla",
                                                     "problems", "changes")
             for path in (base / app).rglob("*.py")
             if re.search(r"(?<![.\w])(?<!def )authenticate\(|auth\.authenticate\(|LoginView\.as_view\((?![^)]*authentication_form)",
                          path.read_text())
             and path.name != "lockout.py"]
    assert calls == []
