"""Timeline entries of requests and tasks for the console, rendered once and cached
(``servicedesk.timeline.entries_html``)."""

from dataclasses import dataclass, field

from servicedesk.choices import EventKind
from servicedesk.detail import TimelinePage
from servicedesk.models import Attachment
from servicedesk.registry import state_of
from servicedesk.timeline import approval_summary, entries_html, note_text
from servicedesk.workflow import State

ENTRY_TEMPLATE = "desk/requests/_timeline_entry.html"
APPROVAL_KINDS = frozenset({EventKind.APPROVAL_REQUESTED, EventKind.APPROVAL_VOTE, EventKind.APPROVAL_STEP,
                            EventKind.APPROVAL_DECIDED, EventKind.APPROVAL_CANCELLED})


@dataclass
class TimelineItem:
    entry: object
    body_html: str = ""
    attachments: list = field(default_factory=list)
    attachment: Attachment | None = None
    source: State | None = None
    target: State | None = None
    note: str = ""
    approval: str = ""


def timeline_items(page: TimelinePage, kind: str) -> list[TimelineItem]:
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
        elif entry.kind == EventKind.STATE:
            item.source, item.target = state_of(kind, data.get("source")), state_of(kind, data.get("target"))
            item.note = note_text(data)
        elif entry.kind in APPROVAL_KINDS:
            item.approval = approval_summary(entry.kind, data)
        items.append(item)
    return items


def timeline_html(ticket, page: TimelinePage | None, kind: str) -> list[str]:
    return entries_html(timeline_items(page, kind), ticket, ENTRY_TEMPLATE) if page else []
