"""How incidents plug into the service desk: the one registration of the kind (see servicedesk/registry.py)."""

from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from servicedesk.choices import TicketKind
from servicedesk.registry import HoldReason, Process, Queue

from .choices import IncidentState, OnHoldReason
from .workflow import INCIDENT_WORKFLOW

# System notes on state changes, stored as codes and shown in the reader's language.
NOTES = {
    "resolved_with_parent": _("Resolved with its parent %(number)s."),
    "merged_into": _("Merged into %(number)s as a duplicate."),
    "autoclosed": _("Closed automatically %(days)s days after resolution."),
}


def _hold_reason_of(ticket) -> str:
    """The reason on the incident row (lists join it with ``select_related("incident")``)."""
    return getattr(getattr(ticket, "incident", None), "on_hold_reason", "") or ""


def _row_badges(ticket) -> list[str]:
    incident = getattr(ticket, "incident", None)
    return [gettext("MAJOR")] if incident is not None and incident.major else []


INCIDENT_PROCESS = Process(
    kind=TicketKind.INCIDENT,
    label=_("Incident"),
    label_plural=_("Incidents"),
    number_prefix="INC",
    workflow=INCIDENT_WORKFLOW,
    desk_url="desk-incidents:detail",
    portal_url="portal:ticket_detail",
    api_url="incident-detail",
    details="incident",
    hold_state=IncidentState.ON_HOLD,
    hold_reasons=(
        HoldReason(OnHoldReason.AWAITING_CALLER, OnHoldReason.AWAITING_CALLER.label,
                   _("We need something from you before we can go on. Please reply below."),
                   waiting_for_requester=True),
        HoldReason(OnHoldReason.AWAITING_VENDOR, OnHoldReason.AWAITING_VENDOR.label,
                   _("We're waiting for a supplier before we can go on. We'll keep you posted.")),
        HoldReason(OnHoldReason.AWAITING_CHANGE, OnHoldReason.AWAITING_CHANGE.label,
                   _("We're waiting for a planned change before we can go on. We'll keep you posted.")),
    ),
    hold_reason_of=_hold_reason_of,
    waiting_states=frozenset({IncidentState.RESOLVED}),
    panels=("sla_clocks", "linked_changes", "known_errors", "knowledge_articles"),
    queues=(Queue("major", _("Major incidents"), lambda user: Q(active=True, incident__major=True)),),
    row_fields=("incident__major",),
    row_badges=_row_badges,
)
