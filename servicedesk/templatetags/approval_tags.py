"""Template helpers of the approval pages: state badges and the console menu's count."""

from django import template

from servicedesk import approvals
from servicedesk.timeline import approval_summary

register = template.Library()

BADGES = {"waiting": "light", "pending": "info", "approved": "success", "rejected": "danger",
          "cancelled": "secondary", "not_required": "secondary", "approve": "success", "reject": "danger"}


@register.filter
def approval_badge(state: str) -> str:
    return BADGES.get(state, "secondary")


@register.simple_tag(takes_context=True)
def approvals_waiting(context) -> int:
    """Decisions waiting for the signed-in person (one indexed count per console page)."""
    request = context.get("request")
    return approvals.pending_count(getattr(request, "user", None))


@register.filter
def approval_event(entry) -> str:
    """An approval timeline entry's text in the reader's language (servicedesk.timeline)."""
    return approval_summary(entry.kind, entry.data or {})
