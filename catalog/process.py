"""How requests (REQ) and fulfilment tasks (TASK) plug into the service desk (servicedesk/registry.py)."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicedesk.choices import TicketKind
from servicedesk.registry import Process, Queue

from .choices import RequestState, TaskState
from .request_workflow import REQUEST_WORKFLOW, TASK_WORKFLOW

# System notes on state changes, stored as codes and shown in the reader's language.
NOTES = {
    "request_in_fulfilment": _("Approved: the work to deliver it has started."),
    "request_complete": _("Everything ordered has been delivered."),
    "request_incomplete": _("Finished, but not everything ordered could be delivered."),
    "request_skipped": _("Finished: nothing needed doing."),
    "request_rejected": _("The request was not approved."),
    "request_cancelled": _("Cancelled."),
    "request_awaiting_approval": _("Waiting for approval."),
    "task_request_cancelled": _("Skipped: request %(number)s was cancelled."),
}


def _approval_excluded(ticket) -> set[int]:
    from .fulfilment import approval_excluded

    return approval_excluded(ticket)


def _approval_decided(ticket, outcome: str, actor) -> None:
    from .fulfilment import approval_decided

    approval_decided(ticket, outcome, actor)


REQUEST_PROCESS = Process(
    kind=TicketKind.REQUEST,
    label=_("Service request"),
    label_plural=_("Service requests"),
    number_prefix="REQ",
    workflow=REQUEST_WORKFLOW,
    desk_url="desk-requests:request",
    portal_url="portal:request_detail",
    api_url="request-detail",
    details="service_request",
    panels=("sla_clocks", "approvals"),
    queues=(
        Queue("requests_awaiting_approval", _("Requests awaiting approval"),
              lambda user: Q(active=True, kind=TicketKind.REQUEST, state=RequestState.AWAITING_APPROVAL)),
        Queue("requests_in_fulfilment", _("Requests in fulfilment"),
              lambda user: Q(active=True, kind=TicketKind.REQUEST, state=RequestState.IN_FULFILMENT)),
    ),
    # The queue joins the details row (registry.details_relations) and reads only what it names here.
    row_fields=("service_request__requested_for",),
    approval_excluded=_approval_excluded,
    approval_decided=_approval_decided,
)

TASK_PROCESS = Process(
    kind=TicketKind.TASK,
    label=_("Fulfilment task"),
    label_plural=_("Fulfilment tasks"),
    number_prefix="TASK",
    workflow=TASK_WORKFLOW,
    desk_url="desk-requests:task",
    api_url="task-detail",
    details="fulfilment_task",
    panels=("sla_clocks",),
    queues=(
        Queue("tasks_open", _("Open fulfilment tasks"),
              lambda user: Q(active=True, kind=TicketKind.TASK, state=TaskState.OPEN)),
    ),
    row_fields=("fulfilment_task__key",),
)


def register() -> None:
    """Registers the request and task processes, their notes and notification reasons."""
    from servicedesk import notifications, registry, timeline

    registry.register(REQUEST_PROCESS)
    registry.register(TASK_PROCESS)
    for code, text in NOTES.items():
        timeline.register_note(code, text)
    notifications.register_reason("request_finished", _("[%(number)s] Your request is %(state_label)s: %(title)s"),
                                  "email/request_finished.txt")
