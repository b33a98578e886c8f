"""Form plumbing every app shares: a service's ValidationError shown on the form that caused it.

Services raise ``ValidationError({"field": [...]})`` (docs/architecture.md, rules 1 and 8); pages,
the admin and imports show each message on the field it names, and the rest above the form, so
the person keeps their input and sees what to fix.
"""

from django.contrib import messages as flash
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .errors import DomainError, StaleVersion


def add_service_errors(form, exc: ValidationError, aliases: dict[str, str | None] | None = None, *,
                       skip=(), name_unknown: bool = True) -> None:
    """Put ``exc``'s messages on ``form``.

    ``aliases`` maps a service's field name to the form's (or to None: above the form). Messages
    for names the form lacks go above it, prefixed with the name when ``name_unknown``. Names in
    ``skip`` were shown already (e.g. by a form that spreads one field over several inputs).
    """
    if not hasattr(exc, "error_dict"):
        for message in exc.messages:
            form.add_error(None, message)
        return
    aliases = aliases or {}
    for name, messages in exc.message_dict.items():
        if name in skip:
            continue
        target = aliases.get(name, name)
        if target is not None and target not in form.fields:
            target = None
        for message in messages:
            if target is None and name_unknown and name != NON_FIELD_ERRORS and name not in aliases:
                message = f"{name}: {message}"
            form.add_error(target, message)


class ServiceErrorsMixin:
    """``form.add_service_errors(exc)`` for forms whose data a service validates."""

    service_error_aliases: dict[str, str | None] = {}
    service_error_names_unknown = True  # prefix messages for fields the form does not have

    def add_service_errors(self, exc: ValidationError, *, skip=()) -> None:
        add_service_errors(self, exc, self.service_error_aliases, skip=skip,
                           name_unknown=self.service_error_names_unknown)


def save_through_service(request, form, call, *, success: str, to: str):
    """A console editor's save: run ``call()`` (one service); on success a message and a redirect to
    ``to``, otherwise None with the service's field errors and refusals on ``form`` (input kept)."""
    try:
        call()
    except StaleVersion:
        form.add_error(None, _("Someone else saved this since you opened it. Nothing was saved: reload the page, "
                               "check the current values and save again."))
        return None
    except ValidationError as exc:
        form.add_service_errors(exc)
        return None
    except DomainError as exc:
        form.add_error(None, exc.detail)
        return None
    flash.success(request, success)
    return redirect(to)
