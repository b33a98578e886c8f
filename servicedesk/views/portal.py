"""The self-service portal shell: home, "My tickets", and what every portal ticket page shares.

The people here are not technical: states are told in plain words (``plain_state``), only the
public side of a ticket is ever shown (``public_conversation``), and someone else's ticket is a
404, never a 403, so a guessed number confirms nothing. Process apps build their ticket pages on
these helpers and are linked through the process registry.
"""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe

from accounts.models import User
from accounts.roles import VIEW_ALL_TICKETS, WORK_TICKETS
from esm.pagination import InvalidCursor, keyset_paginate

from .. import registry
from ..choices import EventKind
from ..forms import TicketListFilterForm
from ..models import Attachment, Ticket
from ..queries import TICKET_ORDERINGS, search_tickets, ticket_timeline, tickets_visible_to
from ..registry import HoldReason
from ..rendering import render_markdown
from ..timeline import note_text

HOME_OPEN_TICKETS = 5
PAGE_SIZE = 20
NUMBER_RE = re.compile(r"^[A-Za-z]{3}\d{1,12}$")


# --- States in plain words ------------------------------------------------------------------


@dataclass(frozen=True)
class PlainState:
    label: str | Promise
    badge: str  # Bootstrap colour of the badge
    hint: str | Promise = ""
    waiting_for_you: bool = False


PLAIN_STATES = {
    "new": PlainState(_("Received"), "info", _("We have your request and will look at it soon.")),
    "in_progress": PlainState(_("We're working on it"), "primary",
                              _("Someone from the service desk is working on this.")),
    "resolved": PlainState(_("Solved — please confirm"), "success",
                           _("We think this is fixed. Please tell us whether it works for you.")),
    "closed": PlainState(_("Closed"), "secondary", _("This request is finished.")),
    "cancelled": PlainState(_("Cancelled"), "light", _("This request was cancelled.")),
}
ON_HOLD = PlainState(_("On hold"), "warning", _("We've paused work on this for now. We'll keep you posted."))


def _on_hold(reason: HoldReason | None) -> PlainState:
    if reason is None:
        return ON_HOLD
    if reason.waiting_for_requester:
        return PlainState(_("Waiting for you"), "warning", reason.hint, waiting_for_you=True)
    return PlainState(ON_HOLD.label, ON_HOLD.badge, reason.hint or ON_HOLD.hint)


def plain_state(ticket: Ticket, viewer=None) -> PlainState:
    """The state as the viewer should read it: "Waiting for you" is only for the requester."""
    process = registry.find(ticket.kind)
    if process is not None and process.hold_state and ticket.state == process.hold_state:
        # The reason lives on the process's own record, which lists join (registry.details_relations).
        reason = process.hold_reason_of(ticket) if process.hold_reason_of else ""
        plain = _on_hold(process.hold_reason(reason))
    elif ticket.state in PLAIN_STATES:
        plain = PLAIN_STATES[ticket.state]
    else:
        state = process.state(ticket.state) if process else None
        plain = PlainState(state.label if state else ticket.state, "secondary")
    if process is not None and ticket.state in process.waiting_states and not plain.waiting_for_you:
        plain = PlainState(plain.label, plain.badge, plain.hint, waiting_for_you=True)
    if plain.waiting_for_you and viewer is not None and viewer.pk != ticket.requester_id:
        return _waiting_for_someone_else(plain, ticket)
    return plain


def _waiting_for_someone_else(plain: PlainState, ticket: Ticket) -> PlainState:
    name = ticket.requester.display_name  # lists and pages load the requester with the ticket
    process = registry.find(ticket.kind)
    if process is not None and ticket.state in process.waiting_states:
        return PlainState(_("Solved"), plain.badge,
                          _("We think this is fixed and have asked %(name)s to confirm.") % {"name": name})
    return PlainState(_("Waiting for %(name)s") % {"name": name}, plain.badge,
                      _("We need something from %(name)s before we can go on.") % {"name": name})


def ago(moment: datetime) -> str:
    """"just now", "3 hours ago": how long ago, to one unit, in words."""
    if timezone.now() - moment < timedelta(minutes=1):
        return str(_("just now"))
    return _("%(time)s ago") % {"time": timesince(moment, depth=1)}


def with_plain_states(tickets, viewer):
    tickets = list(tickets)
    for ticket in tickets:
        ticket.plain_state = plain_state(ticket, viewer)
        ticket.updated_ago = ago(ticket.updated_at)
        ticket.portal_url = registry.ticket_url(ticket.kind, ticket.number, "portal")
    return tickets


# --- Which tickets -----------------------------------------------------------------------------


def portal_tickets(user) -> QuerySet:
    """The tickets a person follows on the portal: their own, their organisation's when it shares, watched.

    ``tickets_visible_to`` decides for requesters. Desk staff may see every ticket, but on the
    portal they are requesters like anyone else, so they get the same personal list.
    """
    # Kinds without a portal page (a request's fulfilment tasks) are the desk's work, not the person's.
    hidden = [p.kind for p in registry.processes() if not p.portal_url]
    tickets = tickets_visible_to(user).exclude(kind__in=hidden) if hidden else tickets_visible_to(user)
    if user.has_perm(VIEW_ALL_TICKETS):
        personal = Q(requester=user) | Exists(
            Ticket.watchers.through.objects.filter(ticket_id=OuterRef("pk"), user_id=user.pk)
        )
        if user.organisation_id and user.organisation.share_tickets:
            personal |= Q(organisation_id=user.organisation_id)
        tickets = tickets.filter(personal)
    return tickets


def portal_ticket_or_404(user, number: str, queryset: QuerySet | None = None) -> Ticket:
    """The ticket ``number`` if ``user`` may see it; otherwise a 404 that says nothing about it."""
    if not NUMBER_RE.match(number or ""):
        raise Http404
    return get_object_or_404(tickets_visible_to(user, queryset), number=number.upper())


# --- Pages -----------------------------------------------------------------------------------


@login_required
@require_safe
def home(request):
    recent = list(
        portal_tickets(request.user).filter(closed_at__isnull=True)
        .select_related(*registry.details_relations(), "requester")
        .order_by("-updated_at", "-id")[: HOME_OPEN_TICKETS + 1]
    )
    return render(request, "portal/home.html", {
        "nav": "home",
        "open_tickets": with_plain_states(recent[:HOME_OPEN_TICKETS], request.user),
        "more_open_tickets": len(recent) > HOME_OPEN_TICKETS,
    })


@login_required
@require_safe
def my_tickets(request):
    form = TicketListFilterForm(request.GET)
    status, text = (form.cleaned_data["status"], form.cleaned_data["q"]) if form.is_valid() else ("", "")
    tickets = portal_tickets(request.user).select_related(*registry.details_relations(), "requester")
    if status == TicketListFilterForm.OPEN:
        tickets = tickets.filter(closed_at__isnull=True)
    elif status == TicketListFilterForm.CLOSED:
        tickets = tickets.filter(closed_at__isnull=False)
    tickets = search_tickets(tickets, text, internal=False)  # the portal shows the requester's side

    def page_of(cursor):
        return keyset_paginate(tickets, orderings=TICKET_ORDERINGS, ordering="-opened_at",
                               default_ordering="-opened_at", cursor=cursor, page_size=PAGE_SIZE)

    try:
        page = page_of(request.GET.get("cursor"))
    except InvalidCursor:
        page = page_of(None)  # an edited or outdated link: start from the top
    organisation = request.user.organisation
    return render(request, "portal/my_tickets.html", {
        "nav": "tickets",
        "form": form,
        "filtered": bool(status or text),
        "tickets": with_plain_states(page.items, request.user),
        "next_url": _page_url(request, page.next_cursor),
        "previous_url": _page_url(request, page.previous_cursor),
        "shared_organisation": organisation if organisation and organisation.share_tickets else None,
    })


def _page_url(request, cursor: str | None) -> str | None:
    if not cursor:
        return None
    params = request.GET.copy()
    params["cursor"] = cursor
    return f"?{params.urlencode()}"


# --- The public conversation on a ticket ---------------------------------------------------


@dataclass
class ConversationItem:
    """One thing shown in the conversation: a message, a state change told in plain words, or a file."""

    kind: str  # "message" | "event" | "file"
    at: datetime
    who: str
    mine: bool = False
    staff: bool = False
    html: SafeString | None = None
    text: str = ""
    files: list = field(default_factory=list)
    ticket_number: str = ""
    ticket_url: str | None = None


def _state_sentence(source: str, target: str, *, by_requester: bool) -> str:
    if target == "in_progress":
        if source == "resolved":
            return _("Reopened this request.")
        if source == "on_hold":
            return _("Picked this request up again.")
        return _("Started working on this request.")
    if target == "closed" and source == "resolved" and by_requester:
        return _("Confirmed the fix and closed this request.")
    sentences = {
        "on_hold": _("Put this request on hold."),
        "resolved": _("Marked this request as solved."),
        "closed": _("Closed this request."),
        "cancelled": _("Cancelled this request."),
    }
    return sentences.get(target, _("Changed the state of this request."))


def public_conversation(ticket: Ticket, viewer) -> tuple[list[Attachment], list[ConversationItem]]:
    """The files sent with the report, and the public conversation in order. Four queries, whatever its length.

    Only ``public`` timeline entries and public attachments are read, so work notes and internal
    files cannot leak through here.
    """
    entries = list(ticket_timeline(ticket, public_only=True))
    attachments = {a.pk: a for a in Attachment.objects.filter(ticket=ticket, public=True)
                   .annotate(on_public_comment=F("comment__public"))}
    files_by_comment = defaultdict(list)
    for attachment in attachments.values():
        if attachment.on_public_comment:
            files_by_comment[attachment.comment_id].append(attachment)
    shown_with_messages = {a.pk for files in files_by_comment.values() for a in files}
    actor_ids = {e.actor_id for e in entries if e.actor_id}
    staff_ids = set(User.objects.with_perm(WORK_TICKETS).filter(pk__in=actor_ids).values_list("pk", flat=True))

    def who(actor) -> str:
        if actor is None:
            return _("Service desk")
        return _("You") if actor.pk == viewer.pk else actor.display_name

    def item(entry, kind, **kwargs) -> ConversationItem:
        return ConversationItem(kind=kind, at=entry.at, who=who(entry.actor),
                                mine=entry.actor_id == viewer.pk, staff=entry.actor_id in staff_ids, **kwargs)

    opening_files: list[Attachment] = []
    items: list[ConversationItem] = []
    opening = True  # the report itself and the files sent with it
    for index, entry in enumerate(entries):
        if entry.kind == EventKind.CREATED:
            continue
        if entry.kind == EventKind.ATTACHMENT:
            attachment = attachments.get(entry.data.get("attachment_id"))
            if attachment is None or attachment.pk in shown_with_messages:
                continue  # removed since, or shown with its message
            if opening and entry.actor_id == ticket.requester_id:
                opening_files.append(attachment)
            else:
                items.append(item(entry, "file", files=[attachment]))
            continue
        opening = False
        if entry.kind == EventKind.COMMENT and entry.comment is not None:
            items.append(item(entry, "message", html=render_markdown(entry.comment.body),
                              files=files_by_comment.get(entry.comment_id, [])))
        elif entry.kind == EventKind.STATE:
            note = note_text(entry.data).strip()
            following = entries[index + 1] if index + 1 < len(entries) else None
            if note and following is not None and following.comment is not None \
                    and following.actor_id == entry.actor_id and following.comment.body.strip() == note:
                note = ""  # the note was also posted as a message, which follows
            sentence = _state_sentence(entry.data.get("source", ""), entry.data.get("target", ""),
                                       by_requester=entry.actor_id == ticket.requester_id)
            items.append(item(entry, "event", text=f"{sentence} {note}".strip()))
        elif entry.kind == EventKind.MERGED and entry.data.get("into"):
            items.append(item(entry, "event", text=_("Merged this report into"),
                              ticket_number=entry.data["into"],
                              ticket_url=registry.ticket_url(ticket.kind, entry.data["into"], "portal")))
    return opening_files, items
