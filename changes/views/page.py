"""What the change page shows, read the fast way (``servicedesk.detail``, docs/architecture.md "How a
process builds a fast ticket page"): the ticket row with its change row, then ONE query for
everything around it (people, CIs, links, the newest timeline entries), the affected services from
the CMDB's cache, and the panels of the change domain (conflicts) and of the approval engine.
"""

from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import User
from cmdb.impact import affected_services_cached
from esm.batch import read_together
from servicedesk.choices import EventKind, TicketKind
from servicedesk.detail import TimelinePage, build, read_around, ticket_row, timeline_page_from, timeline_page_reads
from servicedesk.models import Attachment, Ticket
from servicedesk.registry import state_of
from servicedesk.timeline import entries_html, field_label, note_text
from servicedesk.workflow import State

from ..choices import ChangeReason, ChangeType, ImplementationOutcome, LinkRelation, RiskLevel
from ..models import ChangeLink, ChangeTemplate, RiskQuestion

RISK_BADGE = {RiskLevel.LOW: "success", RiskLevel.MEDIUM: "info", RiskLevel.HIGH: "warning",
              RiskLevel.VERY_HIGH: "danger"}
TYPE_BADGE = {ChangeType.STANDARD: "secondary", ChangeType.NORMAL: "primary", ChangeType.EMERGENCY: "danger"}


def change_for_page(user, number: str) -> Ticket | None:
    return ticket_row(user, kind=TicketKind.CHANGE, number=number, select=("change",))


def state_label(value: str) -> State | None:
    return state_of(TicketKind.CHANGE, value)


# --- Timeline -------------------------------------------------------------------------------

CHOICE_LABELS = {
    "change_type": dict(ChangeType.choices), "reason": dict(ChangeReason.choices),
    "risk_level": dict(RiskLevel.choices), "outcome": dict(ImplementationOutcome.choices),
}


def _shown(name: str, value) -> str:
    if value is None or value == "":
        return "—"
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
    note: str = ""


def timeline_items(page: TimelinePage) -> list[TimelineItem]:
    """The page's entries, newest first (comment bodies are rendered only when not cached)."""
    by_comment: dict[int, list[Attachment]] = {}
    for attachment in page.attachments.values():
        if attachment.comment_id:
            by_comment.setdefault(attachment.comment_id, []).append(attachment)
    items = []
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
        elif entry.kind == EventKind.FIELDS:
            item.note = note_text(data) if data.get("note_code") else ""
            item.changes = [
                (field_label(TicketKind.CHANGE, name), _shown(name, change.get("from")), _shown(name, change.get("to")))
                for name, change in (data.get("changes") or {}).items()
            ]
        else:
            item.note = note_text(data) if data.get("note_code") or data.get("note") else ""
        items.append(item)
    return items


ENTRY_TEMPLATE = "desk/changes/_timeline_entry.html"


def timeline_context(ticket: Ticket, page: TimelinePage) -> dict:
    older_url = None
    if page.older is not None:
        older_url = reverse("desk-changes:timeline", args=[ticket.number]) + f"?before={page.older}"
    return {"timeline": entries_html(timeline_items(page), ticket, ENTRY_TEMPLATE), "timeline_older_url": older_url}


def older_timeline(ticket: Ticket, before: int | None) -> dict:
    rows = read_together(**timeline_page_reads(ticket, before=before))
    return timeline_context(ticket, timeline_page_from(rows, ticket))


# --- Around the change ----------------------------------------------------------------------

LINK_FIELDS = ("id", "relation", "ticket_id", "ticket__kind", "ticket__number", "ticket__title", "ticket__state")
MANAGER_FIELDS = ("id", "username", "first_name", "last_name", "email")


def change_reads(ids: dict[str, int]) -> dict:
    """The change's own reads for ``read_around``: its links, its manager, its template and the questionnaire."""
    change = ids["ticket"]
    return {
        "change_links": ChangeLink.objects.filter(change_id=change).order_by("relation", "ticket__number")
        .values_list(*LINK_FIELDS),
        "change_manager": User.objects.filter(managed_changes__ticket_id=change).values_list(*MANAGER_FIELDS),
        "change_template": ChangeTemplate.objects.filter(changes__ticket_id=change).values_list("id", "name"),
        "risk_questions": RiskQuestion.objects.filter(active=True).order_by("order", "id")
        .values_list("id", "text", "help_text", "risky_answer", "weight", "order"),
    }


@dataclass
class Link:
    pk: int
    relation: str
    ticket_id: int
    kind: str
    number: str
    title: str
    state: State | None

    @property
    def relation_label(self):
        return LinkRelation(self.relation).label


def read_page(ticket: Ticket, user) -> dict:
    """The page's data besides the forms and the domain's panels: one query, plus affected services."""
    change = ticket.change
    around = read_around(ticket, user, timeline=True, extra=change_reads, extra_shape="change-page")
    extra = around.extra
    change.change_manager = (build(User, MANAGER_FIELDS, extra["change_manager"][0])
                             if extra["change_manager"] else None)
    change.template = (build(ChangeTemplate, ("id", "name"), extra["change_template"][0])
                       if extra["change_template"] else None)
    questions = [build(RiskQuestion, ("id", "text", "help_text", "risky_answer", "weight", "order"), values)
                 for values in extra["risk_questions"]]
    links = [Link(pk, relation, tid, kind, number, title, state_of(kind, state))
             for pk, relation, tid, kind, number, title, state in extra["change_links"]]
    ci_ids = [link.ci_id for link in around.ci_links] + ([ticket.service_id] if ticket.service_id else [])
    return {
        "around": around,
        "watchers": around.watchers,
        "ci_links": around.ci_links,
        "affected_services": affected_services_cached(ci_ids),
        "links_addressed": [link for link in links if link.relation == LinkRelation.ADDRESSES],
        "links_caused": [link for link in links if link.relation == LinkRelation.CAUSED],
        "risk_questions": questions,
        **timeline_context(ticket, around.timeline),
    }
