"""Failed log-ins and lockouts, for every way of logging in (log-in page, admin, API token).

After LOGIN_FAILURE_LIMIT failures for one account, or LOGIN_ADDRESS_FAILURE_LIMIT from one client
address, within LOGIN_LOCKOUT_MINUTES, that account or address is locked for LOGIN_LOCKOUT_MINUTES:
log-ins are refused with a message before the password is even checked. Locking by account stops
slow guessing from many addresses; locking by address stops one client trying many accounts.
Everything lives in PostgreSQL (not the cache), so it holds while Redis is down, and each lockout
is a row in the audit trail.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib import auth
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import ngettext

from esm.errors import DomainError
from esm.net import client_address
from esm.services import service

from .models import LockoutScope, LoginFailure, LoginLockout

log = logging.getLogger("esm.security")
KEEP_FAILURES = timedelta(days=1)


class LoginLocked(DomainError):
    """Log-in refused: too many failures for this account or from this address."""

    status_code = 429
    code = "login_locked"

    def __init__(self, until: datetime):
        seconds = max(1, int((until - timezone.now()).total_seconds()))
        minutes = -(-seconds // 60)
        super().__init__(
            ngettext("Too many failed log-in attempts. Try again in %(minutes)d minute, "
                     "or ask an administrator to lift the lockout.",
                     "Too many failed log-in attempts. Try again in %(minutes)d minutes, "
                     "or ask an administrator to lift the lockout.", minutes) % {"minutes": minutes},
            extra={"retry_after": seconds},
        )
        self.until = until


def _account_key(username: str) -> str:
    return username.strip().lower()[:150]


def _address(address: str) -> str | None:
    return address or None


def locked_until(*, username: str, address: str, now: datetime | None = None) -> datetime | None:
    """When the lockout on this account or address ends; None if neither is locked."""
    now = now or timezone.now()
    keys = Q(scope=LockoutScope.ACCOUNT, key=_account_key(username))
    if address:
        keys |= Q(scope=LockoutScope.ADDRESS, key=address)
    return LoginLockout.objects.filter(keys, until__gt=now).aggregate(until=Max("until"))["until"]


@service
def login_failed(*, username: str, address: str, path: str, actor=None) -> datetime | None:
    """Record one failed log-in; lock the account or address that reached its limit.

    Returns the end of the lockout this failure started, if any.
    """
    now = timezone.now()
    account = _account_key(username)
    LoginFailure.objects.filter(at__lt=now - KEEP_FAILURES).delete()
    LoginFailure.objects.create(username=account, address=_address(address), path=path, at=now)
    window = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    locked = None
    checks = [(LockoutScope.ACCOUNT, account, Q(username=account), settings.LOGIN_FAILURE_LIMIT)]
    if address:
        checks.append((LockoutScope.ADDRESS, address, Q(address=address), settings.LOGIN_ADDRESS_FAILURE_LIMIT))
    for scope, key, failures_of, limit in checks:
        # Failures before the last lockout of this key were paid for by that lockout.
        last = LoginLockout.objects.filter(scope=scope, key=key).aggregate(at=Max("created_at"))["at"]
        since = max(now - window, last) if last else now - window
        count = LoginFailure.objects.filter(failures_of, at__gte=since).count()
        if count >= limit:
            lockout = LoginLockout.objects.create(scope=scope, key=key, failures=count, created_at=now,
                                                  until=now + window)
            log.warning("Log-in locked for %s %s until %s after %d failures", scope, key,
                        lockout.until.isoformat(timespec="seconds"), count)
            locked = max(locked, lockout.until) if locked else lockout.until
    return locked


def login_succeeded(*, username: str) -> None:
    """A right password: this account's earlier failures no longer count against it."""
    LoginFailure.objects.filter(username=_account_key(username)).delete()


def authenticate(request, *, username: str, password: str, path: str):
    """Django's authenticate(), refused while the account or the client's address is locked.

    Returns the user, or None for wrong credentials; raises LoginLocked.
    """
    address = client_address(request)
    until = locked_until(username=username, address=address)
    if until:
        raise LoginLocked(until)
    user = auth.authenticate(request, username=username, password=password)
    if user is None:
        until = login_failed(username=username, address=address, path=path)
        if until:
            raise LoginLocked(until)
        return None
    login_succeeded(username=username)
    return user
