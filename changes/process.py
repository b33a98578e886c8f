"""How changes plug into the service desk: the one registration of the kind (see servicedesk/registry.py)."""

from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from servicedesk.choices import TicketKind
from servicedesk.registry import Process, Queue

from .choices import ChangeState, ChangeType
from .workflow import CHANGE_WORKFLOW

# System notes on state changes, stored as codes and shown in the reader's language.
NOTES = {
    "change_approved": _("Approved by the CAB."),
    "change_rejected": _("Rejected by the CAB."),
    "approved_not_scheduled": _("Approved by the CAB; it stays in Authorization until it has a planned window."),
    "approved_not_started": _("Approved by the CAB; start the implementation when the planned window opens."),
    "override_freeze": _("Scheduled during a freeze window on a change manager's override: %(reason)s"),
    "override_start": _("Implementation started on a change manager's override: %(reason)s"),
    "change_raised_from": _("Raised from %(number)s."),
}


def _approval_excluded(ticket) -> set[int]:
    from .services import approval_excluded

    return approval_excluded(ticket)


def _approval_decided(ticket, outcome: str, actor) -> None:
    from .services import approval_decided

    approval_decided(ticket, outcome, actor)


def _row_badges(ticket) -> list[str]:
    change = getattr(ticket, "change", None)
    return [gettext("EMERGENCY")] if change is not None and change.change_type == ChangeType.EMERGENCY else []


CHANGE_PROCESS = Process(
    kind=TicketKind.CHANGE,
    label=_("Change"),
    label_plural=_("Changes"),
    number_prefix="CHG",
    workflow=CHANGE_WORKFLOW,
    desk_url="desk-changes:detail",
    api_url="change-detail",
    details="change",
    queues=(
        Queue("awaiting_cab", _("Changes awaiting authorization"),
              lambda user: Q(active=True, kind=TicketKind.CHANGE, state=ChangeState.AUTHORIZATION)),
        Queue("implementing", _("Changes being implemented"),
              lambda user: Q(active=True, kind=TicketKind.CHANGE, state=ChangeState.IMPLEMENTING)),
    ),
    row_fields=("change__change_type",),
    row_badges=_row_badges,
    approval_excluded=_approval_excluded,
    approval_decided=_approval_decided,
)
