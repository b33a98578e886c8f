"""Portal pages of a person's requests: "My requests", the request page (each item's approval and
task progress in plain words, the conversation, cancel, order again) and the approvals waiting
for the person (a line manager approving on the portal)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from esm.api_bases import parse_id
from esm.errors import DomainError
from esm.pagination import InvalidCursor, keyset_paginate, query_without
from servicedesk import approvals
from servicedesk import services as desk
from servicedesk.choices import TicketKind
from servicedesk.models import Decision
from servicedesk.queries import is_ticket_number
from servicedesk.views.portal import ago, plain_state, public_conversation

from . import fulfilment, request_queries
from .choices import RequestState
from .request_workflow import REQUEST_WORKFLOW

PAGE_SIZE = 25
STATE_BADGES = {RequestState.AWAITING_APPROVAL: "warning", RequestState.IN_FULFILMENT: "primary",
                RequestState.COMPLETE: "success", RequestState.INCOMPLETE: "danger"}


def _mine(user):
    return request_queries.request_rows(user).filter(Q(requester=user) | Q(service_request__requested_for=user))


@login_required
@require_GET
def my_requests(request):
    rows = _mine(request.user)
    if request.GET.get("status") == "open":
        rows = rows.filter(active=True)
    try:
        page = keyset_paginate(rows, orderings=request_queries.REQUEST_ORDERINGS, ordering="-opened_at",
                               default_ordering="-opened_at", cursor=request.GET.get("cursor"), page_size=PAGE_SIZE)
    except InvalidCursor:
        page = keyset_paginate(rows, orderings=request_queries.REQUEST_ORDERINGS, ordering="-opened_at",
                               default_ordering="-opened_at", cursor=None, page_size=PAGE_SIZE)
    tickets = list(page.items)
    for ticket in tickets:
        ticket.plain_state = plain_state(ticket, request.user)
        ticket.badge = STATE_BADGES.get(ticket.state, "secondary")
        ticket.updated_ago = ago(ticket.updated_at)
    return render(request, "portal/requests/my_requests.html", {
        "nav": "requests", "tickets": tickets, "page": page, "page_query": query_without(request.GET, "cursor"),
        "status": request.GET.get("status", ""),
        "waiting_approvals": approvals.pending_for(request.user).filter(kind=TicketKind.REQUEST)[:20],
    })


def _request_or_404(user, number: str):
    number = (number or "").strip().upper()
    if not is_ticket_number(number):
        raise Http404
    ticket = (request_queries.requests_visible_to(user).select_related("requester", "service_request__requested_for")
              .filter(number=number).first())
    if ticket is None:
        raise Http404
    return ticket


@login_required
@require_GET
def request_detail(request, number: str):
    ticket = _request_or_404(request.user, number)
    items = request_queries.request_items(ticket)
    waiting = request_queries.pending_approvers(ticket)
    rejected = request_queries.rejections(ticket)
    opening_files, conversation = public_conversation(ticket, request.user)
    overview = approvals.approval_overview(ticket, request.user)
    roles_allow_cancel = any(t.target == RequestState.CANCELLED for t in REQUEST_WORKFLOW.transitions_from(
        ticket.state, desk.actor_roles(ticket=ticket, actor=request.user)))
    is_party = request.user.pk in (ticket.requester_id, ticket.service_request.requested_for_id)
    return render(request, "portal/requests/detail.html", {
        "nav": "requests", "ticket": ticket, "requested_for": ticket.service_request.requested_for,
        "badge": STATE_BADGES.get(ticket.state, "secondary"), "plain_state": plain_state(ticket, request.user),
        "items": [{"item": i, "progress": request_queries.item_progress(i, waiting.get(i.pk, []), rejected.get(i.pk))}
                  for i in items],
        "conversation": [c for c in conversation if c.kind == "message"], "opening_files": opening_files,
        "can_reply": is_party and ticket.active,
        "can_cancel": roles_allow_cancel and ticket.requester_id == request.user.pk,
        "can_copy": ticket.state == RequestState.REJECTED and ticket.requester_id == request.user.pk,
        "approval": overview if overview["can_vote"] or overview["may_decide_for"] else None,
        "decisions": Decision.choices,
    })


def _back_with_errors(request, ticket, exc) -> None:
    for message in (exc.messages if isinstance(exc, ValidationError) else [exc.detail]):
        messages.error(request, message)


@login_required
@require_POST
def request_cancel(request, number: str):
    ticket = _request_or_404(request.user, number)
    try:
        fulfilment.request_cancel(ticket=ticket, actor=request.user, reason=request.POST.get("reason", ""),
                                  expected_version=parse_id(request.POST.get("version")))
    except (ValidationError, DomainError) as exc:
        _back_with_errors(request, ticket, exc)
    else:
        messages.success(request, _("Your request is cancelled."))
    return redirect("portal:request_detail", ticket.number)


@login_required
@require_POST
def request_reply(request, number: str):
    ticket = _request_or_404(request.user, number)
    if request.user.pk not in (ticket.requester_id, ticket.service_request.requested_for_id):
        raise Http404
    try:
        desk.comment_add(ticket=ticket, actor=request.user, body=request.POST.get("body", ""), public=True)
    except (ValidationError, DomainError) as exc:
        _back_with_errors(request, ticket, exc)
    return redirect("portal:request_detail", ticket.number)


@login_required
@require_POST
def request_copy(request, number: str):
    """Order again what a rejected request asked for, with the same answers."""
    ticket = _request_or_404(request.user, number)
    try:
        new = fulfilment.request_copy(ticket=ticket, actor=request.user)
    except (ValidationError, DomainError) as exc:
        _back_with_errors(request, ticket, exc)
        return redirect("portal:request_detail", ticket.number)
    return redirect("portal:request_detail", new.number)


@login_required
@require_POST
def request_vote(request, number: str):
    """An approver (a line manager, a folder owner) approves or rejects on the portal."""
    ticket = _request_or_404(request.user, number)
    on_behalf_of = None
    if request.POST.get("on_behalf_of"):
        on_behalf_of = User.objects.filter(pk=parse_id(request.POST["on_behalf_of"]), is_active=True).first()
    decision = request.POST.get("decision", "")
    try:
        approvals.approval_vote(actor=request.user, ticket=ticket, decision=decision,
                                comment=request.POST.get("comment", ""), on_behalf_of=on_behalf_of)
    except (ValidationError, DomainError) as exc:
        _back_with_errors(request, ticket, exc)
    else:
        messages.success(request, _("Thank you. You approved it.") if decision == Decision.APPROVE
                         else _("Thank you. You rejected it."))
    return redirect("portal:request_detail", ticket.number)
