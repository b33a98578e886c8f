"""Console pages of requests and fulfilment tasks (``/desk/requests/``): the queues, the request
page (items, answers as ordered, approvals, tasks) and the task page (its request's answers, moves,
assignment, work notes, timeline). Every write is one call into ``catalog.fulfilment`` or the
service desk's services; reads go through ``servicedesk.detail`` (one query around the ticket).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Team, User
from esm.access import desk_required
from esm.api_bases import parse_id
from esm.errors import DomainError
from esm.pagination import InvalidCursor, keyset_paginate, query_without
from servicedesk import registry
from servicedesk import services as desk
from servicedesk.choices import PRIORITY_BADGE, TicketKind
from servicedesk.detail import read_around, ticket_row
from servicedesk.services import actor_roles

from . import fulfilment, request_queries
from .choices import RequestState, TaskState
from .models import FulfilmentTask
from .request_timeline import timeline_html
from .request_workflow import REQUEST_WORKFLOW, TASK_WORKFLOW

PAGE_SIZE = 50

REQUEST_QUEUES = [
    ("awaiting_approval", gettext_lazy("Awaiting approval")),
    ("in_fulfilment", gettext_lazy("In fulfilment")),
    ("mine", gettext_lazy("Assigned to me")),
    ("all", gettext_lazy("All")),
]
TASK_QUEUES = [
    ("mine", gettext_lazy("Mine")),
    ("my_teams", gettext_lazy("My teams")),
    ("unassigned", gettext_lazy("Unassigned")),
    ("waiting", gettext_lazy("Waiting for other tasks")),
    ("all", gettext_lazy("All")),
]


def _request_queue(queue: str, user) -> dict:
    if queue == "awaiting_approval":
        return {"state": RequestState.AWAITING_APPROVAL}
    if queue == "in_fulfilment":
        return {"state": RequestState.IN_FULFILMENT}
    if queue == "mine":
        return {"active": True, "assignee": user}
    return {}


def _task_queue(queue: str, user) -> dict:
    if queue == "mine":
        return {"active": True, "assignee": user}
    if queue == "my_teams":
        return {"active": True, "team__in": user.teams.values("pk")}
    if queue == "unassigned":
        return {"active": True, "assignee__isnull": True}
    if queue == "waiting":
        return {"state": TaskState.WAITING}
    return {}


def _page(request, rows, orderings, default):
    params = request.GET
    try:
        return keyset_paginate(rows, orderings=orderings, ordering=params.get("ordering"), default_ordering=default,
                               cursor=params.get("cursor"), page_size=PAGE_SIZE), ""
    except InvalidCursor as exc:
        return keyset_paginate(rows, orderings=orderings, ordering=params.get("ordering"), default_ordering=default,
                               cursor=None, page_size=PAGE_SIZE), exc.messages[0]


def _with_states(tickets, kind: str) -> list:
    tickets = list(tickets)
    for ticket in tickets:
        ticket.state_info = registry.state_of(kind, ticket.state)
        ticket.priority_badge = PRIORITY_BADGE.get(ticket.priority, "secondary")
    return tickets


@desk_required
@require_GET
def request_list(request):
    """Request queues: awaiting approval, in fulfilment, assigned to me, all (keyset pages)."""
    queues = dict(REQUEST_QUEUES)
    queue = request.GET.get("queue") if request.GET.get("queue") in queues else "awaiting_approval"
    rows = request_queries.request_rows(request.user).filter(**_request_queue(queue, request.user))
    page, cursor_error = _page(request, rows, request_queries.REQUEST_ORDERINGS,
                               request_queries.DEFAULT_REQUEST_ORDERING)
    return render(request, "desk/requests/list.html", {
        "rows": _with_states(page.items, TicketKind.REQUEST), "page": page, "queue": queue, "queues": REQUEST_QUEUES,
        "page_query": query_without(request.GET, "cursor"), "cursor_error": cursor_error, "nav": "requests"})


@desk_required
@require_GET
def task_list(request):
    """Task queues: mine, my teams, unassigned, waiting, all."""
    queues = dict(TASK_QUEUES)
    queue = request.GET.get("queue") if request.GET.get("queue") in queues else "my_teams"
    rows = request_queries.task_rows(request.user).filter(**_task_queue(queue, request.user))
    page, cursor_error = _page(request, rows, request_queries.TASK_ORDERINGS, request_queries.DEFAULT_TASK_ORDERING)
    return render(request, "desk/requests/task_list.html", {
        "rows": _with_states(page.items, TicketKind.TASK), "page": page, "queue": queue, "queues": TASK_QUEUES,
        "page_query": query_without(request.GET, "cursor"), "cursor_error": cursor_error, "nav": "tasks"})


# --- The request page ---------------------------------------------------------------------------


def _ticket_or_404(user, kind: str, number: str, select=()):
    ticket = ticket_row(user, kind=kind, number=number, select=select)
    if ticket is None:
        raise Http404
    return ticket


def _moves(ticket, workflow, user) -> list:
    return workflow.transitions_from(ticket.state, actor_roles(ticket=ticket, actor=user))


@desk_required
@require_GET
def request_page(request, number: str):
    ticket = _ticket_or_404(request.user, TicketKind.REQUEST, number, select=("service_request",))
    around = read_around(ticket, request.user, timeline=True)
    items = request_queries.request_items(ticket)
    service_request = ticket.service_request
    return render(request, "desk/requests/request.html", {
        "ticket": ticket, "around": around, "state": registry.state_of(TicketKind.REQUEST, ticket.state),
        "requested_for": User.objects.filter(pk=service_request.requested_for_id).first(),
        "items": [{"item": i, "tasks": [(t, registry.state_of(TicketKind.TASK, t.ticket.state))
                                        for t in i.task_list]} for i in items],
        "panels": registry.desk_panels_html(ticket, request),
        "moves": _moves(ticket, REQUEST_WORKFLOW, request.user),
        "timeline": timeline_html(ticket, around.timeline, TicketKind.REQUEST),
        "nav": "requests",
    })


@desk_required
@require_POST
def request_cancel(request, number: str):
    ticket = _ticket_or_404(request.user, TicketKind.REQUEST, number)
    try:
        fulfilment.request_cancel(ticket=ticket, actor=request.user, reason=request.POST.get("reason", ""),
                                  expected_version=parse_id(request.POST.get("version")))
    except (ValidationError, DomainError) as exc:
        _error(request, exc)
    else:
        messages.success(request, _("%(number)s is cancelled.") % {"number": ticket.number})
    return redirect("desk-requests:request", ticket.number)


def _error(request, exc) -> None:
    for message in (exc.messages if isinstance(exc, ValidationError) else [exc.detail]):
        messages.error(request, message)


@desk_required
@require_POST
def comment(request, number: str):
    """A work note or a public reply on a request or a task."""
    ticket = _ticket_or_404(request.user, request.POST.get("kind") == TicketKind.TASK and TicketKind.TASK
                            or TicketKind.REQUEST, number)
    try:
        desk.comment_add(ticket=ticket, actor=request.user, body=request.POST.get("body", ""),
                         public=request.POST.get("public") == "1")
    except (ValidationError, DomainError) as exc:
        _error(request, exc)
    return redirect(registry.ticket_url(ticket.kind, ticket.number))


# --- The task page ------------------------------------------------------------------------------


@desk_required
@require_GET
def task_page(request, number: str):
    ticket = _ticket_or_404(request.user, TicketKind.TASK, number, select=("fulfilment_task",))
    around = read_around(ticket, request.user, timeline=True, pickers=True)
    task = ticket.fulfilment_task
    depends = list(FulfilmentTask.objects.filter(dependents=task).select_related("ticket")
                   .values_list("ticket__number", "ticket__title", "ticket__state"))
    parent = ticket.parent  # read by read_around
    return render(request, "desk/requests/task.html", {
        "ticket": ticket, "around": around, "task": task, "parent": parent,
        "state": registry.state_of(TicketKind.TASK, ticket.state),
        "depends": [(n, t, registry.state_of(TicketKind.TASK, s)) for n, t, s in depends],
        "answers": request_queries.answers_of(parent) if parent else [],
        "moves": _moves(ticket, TASK_WORKFLOW, request.user),
        "teams": around.teams, "team_members": around.team_members,
        "panels": registry.desk_panels_html(ticket, request),
        "timeline": timeline_html(ticket, around.timeline, TicketKind.TASK),
        "nav": "tasks",
    })


@desk_required
@require_POST
def task_transition(request, number: str):
    ticket = _ticket_or_404(request.user, TicketKind.TASK, number)
    try:
        fulfilment.task_transition(ticket=ticket, actor=request.user, to=request.POST.get("to", ""),
                                   note=request.POST.get("note", ""),
                                   expected_version=parse_id(request.POST.get("version")))
    except (ValidationError, DomainError) as exc:
        _error(request, exc)
    return redirect("desk-requests:task", ticket.number)


@desk_required
@require_POST
def task_assign(request, number: str):
    ticket = _ticket_or_404(request.user, TicketKind.TASK, number)
    team = Team.objects.filter(pk=parse_id(request.POST.get("team"))).first() if request.POST.get("team") else None
    if request.POST.get("assign_to_me"):
        team, assignee = team or ticket.team, request.user
    else:
        pk = parse_id(request.POST.get("assignee"))
        assignee = User.objects.filter(pk=pk).first() if pk else None
    try:
        fulfilment.task_assign(ticket=ticket, actor=request.user, team=team, assignee=assignee,
                               expected_version=parse_id(request.POST.get("version")))
    except (ValidationError, DomainError) as exc:
        _error(request, exc)
    return redirect(reverse("desk-requests:task", args=[ticket.number]))
