"""Console pages of the approval engine: "Awaiting my approval", the vote form, the ticket panel.

Any process's ticket page shows the approval with ``{% include "desk/approvals/_panel.html" %}``
and the context from ``approval_panel_context(ticket, request)`` — or by listing the
``"approvals"`` desk panel in its ``Process.panels`` — and votes go to ``desk:approval_vote``,
which works without JavaScript (a POST and a redirect back).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.models import User
from esm.access import desk_required
from esm.api_bases import parse_id
from esm.errors import DomainError
from esm.pagination import InvalidCursor, keyset_paginate, query_without

from .. import approvals, registry
from ..choices import PRIORITY_BADGE, Priority
from ..models import Decision
from ..queries import is_ticket_number, tickets_visible_to

PAGE_SIZE = 50
ORDERINGS = {"requested": ("id",), "-requested": ("-id",)}


def approval_panel_context(ticket, request) -> dict:
    """What ``desk/approvals/_panel.html`` needs for ``ticket`` as ``request.user`` sees it."""
    overview = approvals.approval_overview(ticket, request.user)
    return {"ticket": ticket, "approval": overview, "decisions": Decision.choices,
            "next_url": request.get_full_path()}


def approval_panel(ticket, request) -> str:
    """The ``"approvals"`` desk panel (registered in servicedesk/apps.py); empty before any approval."""
    context = approval_panel_context(ticket, request)
    if not context["approval"]["rounds"]:
        return ""
    return render_to_string("desk/approvals/_panel.html", context, request=request)


@desk_required
@require_GET
def approval_list(request):
    """Tickets awaiting the person's decision, across processes, oldest request first."""
    params = request.GET
    rows = approvals.pending_for(request.user)
    kind = params.get("kind", "")
    if kind and registry.find(kind) is not None:
        rows = rows.filter(step__ticket__kind=kind)
    cursor_error = ""
    try:
        page = keyset_paginate(rows, orderings=ORDERINGS, ordering=params.get("ordering"),
                               default_ordering="requested", cursor=params.get("cursor"), page_size=PAGE_SIZE)
    except InvalidCursor as exc:
        cursor_error = exc.messages[0]
        page = keyset_paginate(rows, orderings=ORDERINGS, ordering=params.get("ordering"),
                               default_ordering="requested", cursor=None, page_size=PAGE_SIZE)
    priorities = dict(Priority.choices)
    # Rows of people who delegated their approvals to this person say for whom (one query, only then).
    others = {row["approver_id"] for row in page.items} - {request.user.pk}
    delegators = User.objects.in_bulk(others) if others else {}
    items = []
    for row in page.items:
        process = registry.find(row["kind"])
        approver = delegators.get(row["approver_id"])
        items.append({**row, "kind_label": process.label if process else row["kind"],
                      "on_behalf_of": approver,
                      "url": registry.ticket_url(row["kind"], row["number"]),
                      "priority_label": priorities.get(row["priority"], row["priority"]),
                      "priority_badge": PRIORITY_BADGE.get(row["priority"], "secondary")})
    return render(request, "desk/approvals/list.html", {
        "rows": items, "page": page, "kind": kind, "kinds": registry.kind_choices(),
        "page_query": query_without(params, "cursor"), "cursor_error": cursor_error,
        "next_url": request.get_full_path(),
    })


def _back(request, ticket) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return registry.ticket_url(ticket.kind, ticket.number) or reverse("desk:approvals")


@desk_required
@require_POST
def approval_vote(request):
    """Approve or reject the pending step of a ticket (by number); a message says how it went."""
    number = request.POST.get("number", "").strip().upper()
    if not is_ticket_number(number):
        raise Http404
    ticket = tickets_visible_to(request.user).filter(number=number).first()
    if ticket is None:
        raise Http404
    on_behalf_of = None
    raw = request.POST.get("on_behalf_of", "")
    if raw:
        pk = parse_id(raw)
        on_behalf_of = User.objects.filter(pk=pk, is_active=True).first() if pk else None
        if on_behalf_of is None:
            messages.error(request, _("Choose an approver to decide for."))
            return redirect(_back(request, ticket))
    decision = request.POST.get("decision", "")
    try:
        approvals.approval_vote(actor=request.user, ticket=ticket, decision=decision,
                                comment=request.POST.get("comment", ""), on_behalf_of=on_behalf_of)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        if decision == Decision.APPROVE:
            messages.success(request, _("You approved %(number)s.") % {"number": ticket.number})
        else:
            messages.success(request, _("You rejected %(number)s.") % {"number": ticket.number})
    return redirect(_back(request, ticket))
