"""How problems plug into the service desk: the one registration of the kind (see servicedesk/registry.py)."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicedesk.choices import TicketKind
from servicedesk.registry import Process, Queue

from .choices import ProblemState
from .workflow import PROBLEM_WORKFLOW

# System notes, stored as codes and shown in the reader's language.
NOTES = {
    "problem_raised_from": _("Raised from %(numbers)s."),
    "problem_linked": _("Linked to problem %(number)s."),
    "problem_unlinked": _("Unlinked from problem %(number)s."),
    "incident_linked": _("Incident %(number)s linked."),
    "incident_unlinked": _("Incident %(number)s unlinked."),
    "problem_resolved_incident": _("Resolved with problem %(number)s."),
    "problem_candidate_accepted": _("Accepted from the recurring-incident candidate \"%(title)s\"."),
    "workaround_applied": _("Workaround of known error KE-%(id)s applied: %(title)s"),
    "problem_no_change": _("Resolved without a change: %(reason)s"),
    "problem_cancelled": _("Cancelled: %(reason)s"),
}

PROBLEM_PROCESS = Process(
    kind=TicketKind.PROBLEM,
    label=_("Problem"),
    label_plural=_("Problems"),
    number_prefix="PRB",
    workflow=PROBLEM_WORKFLOW,
    desk_url="desk-problems:detail",
    api_url="problem-detail",
    details="problem",
    panels=("linked_changes",),
    # Queue rows join the problem row (``details``); they read one column of it.
    row_fields=("problem__impact",),
    queues=(
        Queue("known_errors", _("Problems recorded as known errors"),
              lambda user: Q(active=True, kind=TicketKind.PROBLEM, state=ProblemState.KNOWN_ERROR)),
    ),
)
