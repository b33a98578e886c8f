"""Timeline entries store facts (field names, codes, ids, values); this renders them for a reader.

A Korean agent's change must read English to an English requester, so nothing language-dependent
is stored: labels of fields and texts of system notes are looked up here, in the language of the
request that shows them.
"""

import contextlib

from django.core.exceptions import FieldDoesNotExist

from . import registry
from .models import Ticket

# System notes written by the service desk and the process services, by code (``note_code``
# with ``note_params`` on the entry); a process adds its own with ``register_note``.
NOTES = {}


def register_note(code: str, text) -> None:
    """``text`` is a lazy translation with ``%(name)s`` placeholders filled from ``note_params``."""
    NOTES[code] = text


def note_text(data: dict) -> str:
    """The note of a state change in the reader's language (free text as its author wrote it)."""
    code = data.get("note_code")
    if code and code in NOTES:
        try:
            return str(NOTES[code]) % (data.get("note_params") or {})
        except (KeyError, TypeError, ValueError):
            return str(NOTES[code])
    return data.get("note") or ""


def field_label(kind: str | None, name: str) -> str:
    """The verbose name of a field of the shared record or of the kind's own row (any kind's if None)."""
    models = [Ticket]
    for process in [registry.find(kind)] if kind else registry.processes():
        if process is not None and process.details:
            with contextlib.suppress(FieldDoesNotExist):
                models.append(Ticket._meta.get_field(process.details).related_model)
    for model in models:
        try:
            return str(model._meta.get_field(name).verbose_name)
        except (FieldDoesNotExist, AttributeError):
            continue
    return name


def with_labels(kind: str | None, data: dict) -> dict:
    """A "fields" entry's data with each change's label in the reader's language (as the API shows)."""
    changes = data.get("changes")
    if not isinstance(changes, dict):
        return data
    return {**data, "changes": {name: {**change, "label": field_label(kind, name)} if isinstance(change, dict)
                                else change for name, change in changes.items()}}

