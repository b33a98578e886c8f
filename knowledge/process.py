"""How knowledge tasks (KBT) plug into the service desk: the one registration of the kind (servicedesk/registry.py)."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicedesk.choices import TicketKind
from servicedesk.registry import Process, Queue

from .choices import TaskType
from .workflow import TASK_WORKFLOW

# System notes, stored as codes and shown in the reader's language.
NOTES = {
    "kb_published": _("Approved: version %(version)s of %(article)s is published."),
    "kb_sent_back": _("Rejected: version %(version)s of %(article)s went back to draft."),
    "kb_feedback_again": _("More feedback on %(article)s: %(summary)s"),
    "kb_task_obsolete": _("Closed: the article changed (%(reason)s)."),
}


def _approval_excluded(ticket) -> set[int]:
    from .services import approval_excluded

    return approval_excluded(ticket)


def _approval_decided(ticket, outcome: str, actor) -> None:
    from .services import approval_decided

    approval_decided(ticket, outcome, actor)


def _row_badges(ticket) -> list[str]:
    task = getattr(ticket, "knowledge_task", None)
    return [str(TaskType(task.task_type).label)] if task is not None else []


def _task_queue(task_type: str):
    return lambda user: Q(active=True, kind=TicketKind.KNOWLEDGE_TASK, knowledge_task__task_type=task_type)


KNOWLEDGE_TASK_PROCESS = Process(
    kind=TicketKind.KNOWLEDGE_TASK,
    label=_("Knowledge task"),
    label_plural=_("Knowledge tasks"),
    number_prefix="KBT",
    workflow=TASK_WORKFLOW,
    desk_url="desk-knowledge:task",
    details="knowledge_task",
    panels=("approvals",),
    queues=(
        Queue("kb_review", _("Knowledge reviews"), _task_queue(TaskType.REVIEW)),
        Queue("kb_feedback", _("Knowledge feedback"), _task_queue(TaskType.FEEDBACK)),
        Queue("kb_publication", _("Articles to approve"), _task_queue(TaskType.PUBLICATION)),
    ),
    # The queue joins the details row; it reads the task type for the row's badge.
    row_fields=("knowledge_task__task_type",),
    row_badges=_row_badges,
    approval_excluded=_approval_excluded,
    approval_decided=_approval_decided,
)
