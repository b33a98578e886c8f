"""Domain errors raised by services; the API exception handler and the views translate them."""

from collections.abc import Iterable

from django.utils.translation import gettext as _


class DomainError(Exception):
    """A request that breaks a business rule. HTTP 409 unless a subclass says otherwise."""

    status_code = 409
    code = "conflict"

    def __init__(self, detail: str, *, code: str | None = None, extra: dict | None = None):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.extra = extra or {}


class TransitionNotAllowed(DomainError):
    code = "transition_not_allowed"

    def __init__(self, detail: str, *, allowed: Iterable[str]):
        allowed = sorted(allowed)
        super().__init__(detail, extra={"allowed": allowed})
        self.allowed = allowed


class StaleVersion(DomainError):
    """The record changed since the client read it (optimistic locking)."""

    status_code = 412
    code = "stale_version"

    def __init__(self, *, current_version: int):
        super().__init__(
            _("This record was changed by someone else since you opened it. "
              "Reload it, check the changes and try again."),
            extra={"current_version": current_version},
        )
        self.current_version = current_version


class NotPermitted(DomainError):
    status_code = 403
    code = "permission_denied"
