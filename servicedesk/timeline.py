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



# --- Approval events (servicedesk/approvals.py) ---------------------------------------------

APPROVAL_KINDS = frozenset({"approval_requested", "approval_vote", "approval_step", "approval_decided",
                            "approval_cancelled"})


def approval_summary(kind: str, data: dict) -> str:
    """What an approval entry says after its actor's name, in the reader's language."""
    from django.utils.translation import gettext as _

    from .models import ApprovalPolicy

    def policy(value):
        return str(ApprovalPolicy(value).label) if value in ApprovalPolicy.values else str(value)

    if kind == "approval_requested":
        steps = ", ".join(f"{s.get('name')} ({policy(s.get('policy'))})" for s in data.get("steps") or [])
        return _("requested approval: %(steps)s") % {"steps": steps}
    if kind == "approval_vote":
        params = {"step": data.get("step", ""), "name": data.get("on_behalf_of") or ""}
        if data.get("decision") == "reject":
            text = (_("rejected “%(step)s” for %(name)s") if params["name"] else _("rejected “%(step)s”")) % params
        else:
            text = (_("approved “%(step)s” for %(name)s") if params["name"] else _("approved “%(step)s”")) % params
        return f"{text} — {data['text']}" if data.get("text") else text
    if kind == "approval_step":
        if data.get("outcome") == "approved":
            return _("completed the step “%(step)s”: approved") % {"step": data.get("step", "")}
        return _("completed the step “%(step)s”: rejected") % {"step": data.get("step", "")}
    if kind == "approval_decided":
        return _("decided the approval: approved") if data.get("outcome") == "approved" \
            else _("decided the approval: rejected")
    if kind == "approval_cancelled":
        if data.get("superseded"):
            return _("replaced approval round %(round)s with a new one") % {"round": data.get("round")}
        text = _("cancelled approval round %(round)s") % {"round": data.get("round")}
        return f"{text} — {data['reason']}" if data.get("reason") else text
    return kind
