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
    return approvals.pending_count_of_request(request) if request is not None else 0


@register.filter
def approval_event(entry) -> str:
    """An approval timeline entry's text in the reader's language (servicedesk.timeline)."""
    return approval_summary(entry.kind, entry.data or {})


@register.simple_tag
def approval_links(step, recipient) -> dict:
    """Signed single-use approve and reject links of ``recipient``'s vote on ``step`` (the e-mail)."""
    from django.conf import settings
    from django.urls import reverse

    from servicedesk.models import ApprovalVote

    if step is None or recipient is None:
        return {}
    vote_id = ApprovalVote.objects.filter(step=step, approver=recipient).values_list("id", flat=True).first()
    if vote_id is None:
        return {}
    return {decision: settings.SITE_URL + reverse("portal:approval_link",
                                                  args=[approvals.link_token(vote_id, decision)])
            for decision in ("approve", "reject")}
