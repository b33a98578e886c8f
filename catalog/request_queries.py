"""Reads of service requests and fulfilment tasks: who sees which, list rows, a request's items,
tasks and the words the portal uses for their progress."""

from collections import defaultdict

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from accounts.roles import VIEW_ALL_TICKETS, can_work_tickets
from esm.api_bases import parse_id
from servicedesk import approvals
from servicedesk.choices import TicketKind
from servicedesk.models import (
    ApprovalDecision,
    ApprovalStep,
    ApprovalStepState,
    ApprovalVote,
    Decision,
    Ticket,
    VoteState,
)
from servicedesk.queries import IdInArray

from . import localize
from .choices import RequestedItemState, RequestState, TaskState
from .models import FulfilmentTask, RequestedItem, ServiceRequest

# Orderings of the request and task lists; each walks a composite index of the ticket table.
REQUEST_ORDERINGS = {
    "-opened_at": ("-opened_at", "-id"),
    "opened_at": ("opened_at", "id"),
    "-updated_at": ("-updated_at", "-id"),
    "priority": ("priority", "id"),
}
DEFAULT_REQUEST_ORDERING = "-opened_at"
TASK_ORDERINGS = {"priority": ("priority", "id"), "-opened_at": ("-opened_at", "-id"),
                  "opened_at": ("opened_at", "id")}
DEFAULT_TASK_ORDERING = "priority"

ROW_FIELDS = ("kind", "number", "title", "state", "priority", "active", "opened_at", "updated_at", "closed_at",
              "version", "team_id", "requester__username", "requester__first_name", "requester__last_name",
              "assignee__username", "assignee__first_name", "assignee__last_name")


def requests_visible_to(user) -> QuerySet:
    """Requests ``user`` may see: desk staff all; others those they ordered, those ordered for them,
    and those they are (or were) asked to approve, themselves or for someone who delegated to them."""
    qs = Ticket.objects.filter(kind=TicketKind.REQUEST)
    if not user or not user.is_authenticated or not user.is_active:
        return qs.none()
    if user.has_perm(VIEW_ALL_TICKETS):
        return qs
    # One ``id = ANY(ARRAY(a UNION b UNION c))``: each part is read through its own index and the
    # few ids are then sorted. Under an OR of the three, PostgreSQL walked the list order's index
    # over every request looking for the person's (seconds at 1,000,000 tickets, bench/README.md).
    ordered = Ticket.objects.filter(kind=TicketKind.REQUEST, requester=user).order_by().values("pk")
    ordered_for = ServiceRequest.objects.filter(requested_for=user).order_by().values("ticket_id")
    # Asked to approve: their own votes, and those of people who delegated to them now.
    delegators = approvals.delegators_query(user)
    approving = (ApprovalVote.objects.filter(Q(approver=user) | Q(approver_id__in=delegators)).order_by()
                 .values("step__ticket_id"))
    return qs.filter(IdInArray("pk", ArraySubquery(ordered.union(ordered_for, approving))))


def tasks_visible_to(user) -> QuerySet:
    """Fulfilment tasks are desk work: desk staff see them all, nobody else any."""
    qs = Ticket.objects.filter(kind=TicketKind.TASK)
    return qs if can_work_tickets(user) else qs.none()


def request_rows(user) -> QuerySet:
    """A page of request rows: one query (the people and the request row joined, lean columns)."""
    return (requests_visible_to(user)
            .select_related("requester", "assignee", "service_request__requested_for")
            .only(*ROW_FIELDS, "service_request__requested_for__username",
                  "service_request__requested_for__first_name", "service_request__requested_for__last_name"))


def task_rows(user) -> QuerySet:
    return (tasks_visible_to(user).select_related("requester", "assignee", "team", "parent")
            .only(*ROW_FIELDS, "team__name", "parent__number", "parent__title"))


def shown_snapshot(snapshot: list) -> list[dict]:
    """The questions as ordered, labelled in the reader's language where the form gave a translation."""
    language = localize.reader_language()
    return [{**row, "label": ((row.get("translations") or {}).get(language) or {}).get("label") or row.get("label")}
            for row in snapshot or []]


def request_items(ticket: Ticket) -> list[RequestedItem]:
    """The request's items, each with ``task_list`` (its tasks' tickets), its name and questions in the
    reader's language (``shown_name``, ``shown_snapshot``): two queries."""
    items = list(RequestedItem.objects.filter(request_id=ticket.pk).select_related("item").order_by("position", "id"))
    for item in items:
        item.shown_name = localize.text(item.item, "name") if item.item.name == item.name else item.name
        item.shown_snapshot = shown_snapshot(item.snapshot)
    tasks = defaultdict(list)
    for task in (FulfilmentTask.objects.filter(requested_item__request_id=ticket.pk)
                 .select_related("ticket", "ticket__team", "ticket__assignee", "template")
                 .order_by("position", "ticket_id")):
        tasks[task.requested_item_id].append(task)
    for item in items:
        item.task_list = tasks[item.pk]
    return items


def pending_approvers(ticket: Ticket) -> dict[int, list[str]]:
    """Names of the people still to decide, per requested item id, on the ticket's pending steps."""
    names = defaultdict(list)
    votes = (ApprovalVote.objects.filter(step__ticket=ticket, step__state=ApprovalStepState.PENDING,
                                         state=VoteState.PENDING)
             .select_related("approver", "step").order_by("id"))
    for vote in votes:
        names[(vote.step.context or {}).get("requested_item")].append(vote.approver.display_name)
    return names


def rejections(ticket: Ticket) -> dict[int, tuple[str, str]]:
    """Who rejected each requested item and why (the requester is told), in one query."""
    found = {}
    for decision in (ApprovalDecision.objects.filter(step__ticket=ticket, decision=Decision.REJECT)
                     .select_related("decided_by", "step").order_by("at", "id")):
        found[(decision.step.context or {}).get("requested_item")] = (decision.decided_by.display_name,
                                                                       decision.comment)
    return found


def _names(names: list[str]) -> str:
    if len(names) <= 2:
        return _(" or ").join(names)
    return _("%(first)s or %(n)s others") % {"first": names[0], "n": len(names) - 1}


def item_progress(item: RequestedItem, waiting_for: list[str],
                  rejected_by: tuple[str, str] | None = None) -> list[dict]:
    """What happens to an item, in plain words for the portal: one line per approval or task.

    ``{"text", "state": "done" | "now" | "later" | "stopped"}``.
    """
    if item.state == RequestedItemState.AWAITING_APPROVAL:
        who = _names(waiting_for) if waiting_for else _("an approver")
        return [{"text": _("Waiting for %(who)s to approve") % {"who": who}, "state": "now"}]
    if item.state == RequestedItemState.REJECTED:
        if rejected_by:
            return [{"text": _("Not approved by %(name)s: “%(reason)s”") % {"name": rejected_by[0],
                                                                            "reason": rejected_by[1]},
                     "state": "stopped"}]
        return [{"text": _("Not approved"), "state": "stopped"}]
    if item.state == RequestedItemState.CANCELLED:
        return [{"text": _("Cancelled"), "state": "stopped"}]
    lines = [{"text": _("Approved"), "state": "done"}]
    for task in getattr(item, "task_list", []):
        lines.append(_task_line(task))
    if item.state == RequestedItemState.COMPLETE:
        lines.append({"text": _("Delivered"), "state": "done"})
    elif item.state == RequestedItemState.INCOMPLETE:
        lines.append({"text": _("Could not be fully delivered"), "state": "stopped"})
    return lines


def _task_line(task: FulfilmentTask) -> dict:
    ticket = task.ticket
    what = localize.text(task.template, "name") if task.template_id else ticket.title
    team = ticket.team.name if ticket.team_id else _("the service desk")
    params = {"what": what, "team": team}
    if ticket.state == TaskState.WAITING:
        return {"text": _("%(what)s — will start after the steps before it") % params, "state": "later"}
    if ticket.state == TaskState.OPEN:
        return {"text": _("%(what)s — waiting for %(team)s to start") % params, "state": "now"}
    if ticket.state == TaskState.IN_PROGRESS:
        return {"text": _("%(what)s — being done by %(team)s") % params, "state": "now"}
    if ticket.state == TaskState.CLOSED_COMPLETE:
        return {"text": _("%(what)s — done") % params, "state": "done"}
    if ticket.state == TaskState.CLOSED_SKIPPED:
        return {"text": _("%(what)s — not needed") % params, "state": "done"}
    return {"text": _("%(what)s — could not be done") % params, "state": "stopped"}


def answers_of(ticket: Ticket) -> list[dict]:
    """The request's items with their questions and answers as ordered (a task page shows them)."""
    return [{"name": i.name, "quantity": i.quantity, "snapshot": shown_snapshot(i.snapshot)}
            for i in RequestedItem.objects.filter(request_id=ticket.pk).order_by("position", "id")]


def open_approval_step(ticket: Ticket) -> bool:
    return ApprovalStep.objects.filter(ticket=ticket, state=ApprovalStepState.PENDING).exists()


def rejected_line(user, *, number: str, line: str, item) -> RequestedItem | None:
    """A line (of ``item``) of ``user``'s own rejected request, to order again with changed answers."""
    pk = parse_id(line)
    if pk is None or not number:
        return None
    return (RequestedItem.objects.select_related("request")
            .filter(pk=pk, item=item, request__ticket__number=number, request__ticket__kind=TicketKind.REQUEST,
                    request__ticket__state=RequestState.REJECTED, request__ticket__requester=user)
            .first())
