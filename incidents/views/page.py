"""What the incident page shows, read the fast way (``servicedesk.detail``): the ticket row, then one
query for everything around it, the SLA panel, and the affected services from a cache.

The pickers render only what the page needs: the edit form's category and service selects hold
the current value until the form is opened (htmx loads the full lists then; without JavaScript a
link reloads the page with them), the team selects come from the same query as the rest, the
assignee select lists the current team's members. The timeline shows the newest entries; older
ones load on demand.
"""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _

from cmdb.impact import affected_services_cached
from cmdb.impact import generation as cmdb_generation
from esm.batch import read_together
from servicedesk.choices import EventKind, TicketKind
from servicedesk.detail import (
    TimelinePage,
    around_built,
    around_rows,
    ticket_row,
    timeline_page_from,
    timeline_page_reads,
)
from servicedesk.models import Attachment, Ticket
from servicedesk.registry import state_of
from servicedesk.timeline import entries_html, field_label, note_text
from servicedesk.workflow import State

from ..choices import Channel, Impact, OnHoldReason, ResolutionCode, Urgency

BLANK = ("", "—")


def incident_for_page(user, number: str) -> Ticket | None:
    return ticket_row(user, kind=TicketKind.INCIDENT, number=number, select=("incident",))


def state_label(value: str) -> State | None:
    return state_of(TicketKind.INCIDENT, value)


def duration(minutes: int) -> str:
    hours, rest = divmod(minutes or 0, 60)
    if not hours:
        return _("%(m)s min") % {"m": rest}
    return _("%(h)s h %(m)s min") % {"h": hours, "m": rest} if rest else _("%(h)s h") % {"h": hours}


def time_worked(per_agent: list[dict]) -> dict:
    for row in per_agent:
        row["shown"] = duration(row["minutes"])
    total = sum(r["minutes"] for r in per_agent)
    return {"total_minutes": total, "total_time": duration(total), "time_by_agent": per_agent}


# --- Timeline -------------------------------------------------------------------------------

CHOICE_LABELS = {
    "impact": dict(Impact.choices), "urgency": dict(Urgency.choices), "channel": dict(Channel.choices),
    "resolution_code": dict(ResolutionCode.choices), "on_hold_reason": dict(OnHoldReason.choices),
}


def _shown(name: str, value) -> str:
    if value is None or value == "":
        return "—"
    if name == "priority":
        return f"P{value}"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    return str(CHOICE_LABELS.get(name, {}).get(value, value))


@dataclass
class TimelineItem:
    entry: object
    body_html: str = ""
    attachments: list = field(default_factory=list)
    changes: list = field(default_factory=list)
    source: State | None = None
    target: State | None = None
    attachment: Attachment | None = None
    note: str = ""  # a state change's note or an escalation's reason, in the reader's language


def timeline_items(page: TimelinePage) -> list[TimelineItem]:
    """The page's entries, newest first: replies, work notes, moves, assignments, field changes.

    Comment bodies are left as Markdown here: ``servicedesk.timeline.entries_html`` renders them only for entries
    it does not find in the cache.
    """
    by_comment: dict[int, list[Attachment]] = {}
    for attachment in page.attachments.values():
        if attachment.comment_id:
            by_comment.setdefault(attachment.comment_id, []).append(attachment)
    items = []
    ticket_kind = TicketKind.INCIDENT
    for entry in page.entries:
        item = TimelineItem(entry)
        data = entry.data or {}
        if entry.kind in (EventKind.COMMENT, EventKind.WORK_NOTE) and entry.comment_id:
            item.attachments = by_comment.get(entry.comment_id, [])
        elif entry.kind == EventKind.ATTACHMENT:
            item.attachment = page.attachments.get(data.get("attachment_id"))
            if item.attachment is not None and item.attachment.comment_id:
                continue  # shown under its comment
        elif entry.kind == EventKind.STATE:
            item.source = state_label(data.get("source"))
            item.target = state_label(data.get("target"))
            item.note = note_text(data)
        elif entry.kind == EventKind.ESCALATED:
            item.note = note_text({**data, "note": "" if data.get("reason") == "functional" else data.get("reason")})
        elif entry.kind == EventKind.FIELDS:
            item.changes = [
                (field_label(ticket_kind, name), _shown(name, change.get("from")), _shown(name, change.get("to")))
                for name, change in (data.get("changes") or {}).items()
            ]
            item.note = note_text(data) if data.get("note_code") else ""  # e.g. linked to a problem
        items.append(item)
    return items


ENTRY_TEMPLATE = "desk/incidents/_timeline_entry.html"


def timeline_context(ticket: Ticket, page: TimelinePage) -> dict:
    older_url = None
    if page.older is not None:
        older_url = reverse("desk-incidents:timeline", args=[ticket.number]) + f"?before={page.older}"
    return {"timeline": entries_html(timeline_items(page), ticket, ENTRY_TEMPLATE), "timeline_older_url": older_url}


def older_timeline(ticket: Ticket, before: int | None) -> dict:
    """One more page of the timeline, older than entry ``before`` (the "show older" link)."""
    rows = read_together(**timeline_page_reads(ticket, before=before))
    return timeline_context(ticket, timeline_page_from(rows, ticket))


# --- Around the incident --------------------------------------------------------------------


def duplicates_read(ids: dict[str, int]) -> dict:
    """The incidents merged into this one (an extra read of ``read_around``)."""
    return {"duplicates": Ticket.objects.filter(incident__merged_into_id=ids["ticket"]).order_by("id")
            .values_list("id", "number", "title")[:50]}


def around_options(ticket: Ticket) -> dict:
    merged_into = ticket.incident.merged_into_id
    return {"tickets": [merged_into] if merged_into else [], "pickers": True, "timeline": True,
            "time_worked": True, "extra": duplicates_read, "extra_shape": "incident-duplicates"}


def page_rows(ticket: Ticket, user) -> dict:
    """The one query of the page: the raw rows of everything around the incident."""
    return around_rows(ticket, user, **around_options(ticket))


def around_page(ticket: Ticket, rows: dict):
    """The page's ``Around`` built from :func:`page_rows`."""
    around = around_built(ticket, rows, **around_options(ticket))
    incident = ticket.incident
    if incident.merged_into_id:
        incident.merged_into = around.tickets.get(incident.merged_into_id)
    return around


def body_inputs(ticket: Ticket, rows: dict) -> tuple:
    """Everything the page body is made from, for ``servicedesk.page_cache.body_key``."""
    return (row_values(ticket), row_values(ticket.incident), rows, cmdb_generation())


def row_values(instance) -> tuple:
    return tuple(instance.__dict__.get(f.attname) for f in instance._meta.concrete_fields)


def read_page(ticket: Ticket, user, around=None) -> dict:
    """The page's data besides the forms: one query, plus the SLA panel and affected services."""
    around = around or around_page(ticket, page_rows(ticket, user))
    ci_ids = [link.ci_id for link in around.ci_links] + ([ticket.service_id] if ticket.service_id else [])
    return {
        "around": around,
        "watchers": around.watchers,
        "children": [(child, state_label(child.state)) for child in around.children],
        "more_children": around.more_children,
        "duplicates": [{"number": number, "title": title} for _pk, number, title in around.extra["duplicates"]],
        **time_worked(around.time_by_agent),
        **timeline_context(ticket, around.timeline),
        "ci_links": around.ci_links,
        "affected_services": affected_services_cached(ci_ids),
    }


def team_choices(teams) -> list[tuple]:
    return [BLANK, *((team.pk, team.name) for team in teams if team.active)]


def current_only_choices(current) -> list[tuple]:
    """A select holding only the current value until the agent asks for every choice."""
    return [BLANK, (current.pk, str(current))] if current is not None else [BLANK]
