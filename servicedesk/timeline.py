"""Timeline entries store facts (field names, codes, ids, values); this renders them for a reader.

A Korean agent's change must read English to an English requester, so nothing language-dependent
is stored: labels of fields and texts of system notes are looked up here, in the language of the
request that shows them.
"""

import contextlib
import hashlib

from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.translation import get_language

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
        step = {"step": data.get("step", ""), "group": data.get("escalated_to", "")}
        if data.get("escalation_failed"):
            return _("could not escalate the step “%(step)s”: %(group)s has no eligible member") % step
        if data.get("escalated_to"):
            return _("escalated the step “%(step)s” to %(group)s after its time-out") % step
        if data.get("timed_out"):
            return (_("approved the step “%(step)s” after its time-out") if data.get("outcome") == "approved"
                    else _("rejected the step “%(step)s” after its time-out")) % step
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


# --- Entries as HTML ------------------------------------------------------------------------
# A timeline entry never changes once written; its HTML depends only on the entry, the language,
# the time zone, the actor's name, whether the requester wrote it and which of its attachments
# still exist. Rendered once, it is kept in the cache under exactly those inputs (one round trip
# a page). Every process's page renders its entries through this, with its own entry template.

ENTRY_TTL = 24 * 3600


def _entry_key(item, ticket, template: str) -> str:
    entry = item.entry
    parts = (template, entry.pk, get_language(), timezone.get_current_timezone_name(),
             entry.actor.display_name if entry.actor else "",
             entry.comment.author_id == ticket.requester_id if entry.comment else "",
             [a.pk for a in item.attachments], item.attachment.pk if item.attachment else "")
    return "timeline:" + hashlib.sha256(repr(parts).encode()).hexdigest()[:32]


def entries_html(items: list, ticket, template: str) -> list[str]:
    """Each item's HTML (``template`` with ``item`` and ``ticket``), from the cache where kept.

    Items carry ``entry``, ``attachments``, ``attachment`` and ``body_html`` (comment bodies are
    rendered from Markdown only for entries not found in the cache).
    """
    from django.core.cache import cache
    from django.template.loader import render_to_string
    from django.utils.safestring import mark_safe

    from .rendering import render_markdown

    keys = [_entry_key(item, ticket, template) for item in items]
    try:
        found = cache.get_many(keys)
    except Exception:  # noqa: BLE001 - without the cache every entry is rendered
        found = {}
    missing = {}
    out = []
    for key, item in zip(keys, items, strict=True):
        html = found.get(key)
        if html is None:
            if item.entry.comment_id and item.entry.comment is not None:
                item.body_html = render_markdown(item.entry.comment.body)
            html = render_to_string(template, {"item": item, "ticket": ticket})
            missing[key] = html
        out.append(mark_safe(html))  # noqa: S308 - rendered by the template above
    if missing:
        with contextlib.suppress(Exception):
            cache.set_many(missing, ENTRY_TTL)
    return out
