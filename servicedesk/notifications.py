"""E-mail notifications through an outbox: rows written in the business transaction, sent after commit.

``notify`` renders the message now (so it says what was true when it happened) and queues the
send task after commit (``esm.queueing.enqueue_on_commit``); a rolled-back write therefore sends
nothing (docs/architecture.md, rule 4). Each reason has a subject and a template
(``email/<reason>.txt``); other apps add theirs with ``register_reason`` (the SLA app's warnings
and breaches).
"""

from collections.abc import Iterable

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from . import registry
from .models import Notification

SUBJECTS = {
    "created": _("[%(number)s] We have received your request: %(title)s"),
    "public_reply": _("[%(number)s] New reply: %(title)s"),
    "requester_reply": _("[%(number)s] The requester replied: %(title)s"),
    "assigned": _("[%(number)s] Assigned to you: %(title)s"),
    "team_assigned": _("[%(number)s] New ticket for your team: %(title)s"),
    "resolved": _("[%(number)s] Resolved: %(title)s"),
    "escalated": _("[%(number)s] Escalated to you as team lead: %(title)s"),
    "parent_resolved": _("[%(number)s] Resolved with %(parent)s: %(title)s"),
    "reopened": _("[%(number)s] Reopened: %(title)s"),
    "approval_requested": _("[%(number)s] Your approval is requested (%(step_name)s): %(title)s"),
}


TEMPLATES: dict[str, str] = {}


def register_reason(reason: str, subject, template: str) -> None:
    """A notification reason of another app: its subject (``%(number)s``, ``%(title)s`` and the
    context's keys) and its template."""
    SUBJECTS[reason] = subject
    TEMPLATES[reason] = template


def mail_subject(text: str) -> str:
    """A subject line that can be sent: one line, at most 250 characters.

    Titles are one line on input (esm.fields), but older rows may hold a line break, and an e-mail
    header with one is refused ("Header values can't contain newlines") on every attempt.
    """
    return " ".join(text.split())[:250]


def ticket_urls(ticket) -> dict[str, str | None]:
    """The links an e-mail offers: the ticket's portal and console pages, from its process's registration."""
    return {
        "portal_url": registry.ticket_url(ticket.kind, ticket.number, "portal", absolute=True),
        "desk_url": registry.ticket_url(ticket.kind, ticket.number, "desk", absolute=True),
    }


def notify(*, ticket, recipients: Iterable, reason: str, comment=None, extra_addresses: Iterable[str] = (),
           context: dict | None = None) -> list[Notification]:
    from esm.queueing import enqueue_on_commit

    from .tasks import send_notification

    seen: set[str] = set()
    targets = []
    for user in recipients:
        if user is None or not user.is_active or not user.email or user.email.lower() in seen:
            continue
        seen.add(user.email.lower())
        targets.append((user, user.email))
    for address in extra_addresses:
        if address and address.lower() not in seen:
            seen.add(address.lower())
            targets.append((None, address))

    rows = []
    template = TEMPLATES.get(reason, f"email/{reason}.txt")
    for user, address in targets:
        # Each person reads mail in their own language, whoever caused it; callables in ``context``
        # (e.g. a translated label) are evaluated in that language.
        with translation.override(getattr(user, "language", "") or settings.LANGUAGE_CODE):
            extra = {k: v() if callable(v) and not hasattr(v, "_meta") else v for k, v in (context or {}).items()}
            ctx = {"ticket": ticket, "comment": comment, "recipient": user, "reason": reason,
                   **ticket_urls(ticket), **extra}
            subject = str(SUBJECTS[reason]) % {"parent": extra.get("parent_number", ""), **extra,
                                               "number": ticket.number, "title": ticket.title}
            body = render_to_string(template, ctx)
        rows.append(Notification(ticket=ticket, recipient=user, to_email=address,
                                 reason=reason, subject=mail_subject(subject), body=body))
    created = Notification.objects.bulk_create(rows)
    for note in created:
        enqueue_on_commit(send_notification, note.pk)
    return created
