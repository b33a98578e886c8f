"""Console page where an approver lets someone else decide their approvals for a period
(``servicedesk.approvals.delegation_create`` / ``delegation_revoke``)."""

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User
from esm.access import desk_required
from esm.api_bases import parse_id
from esm.errors import DomainError

from .. import approvals
from ..models import ApprovalDelegation


def _when(raw: str) -> datetime | None:
    try:
        value = parse_datetime((raw or "").strip()[:40])
    except ValueError:  # well formed but impossible (30 February): the service says the field is missing
        return None
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value)  # in the reader's time zone (the middleware activated it)
    return value


@desk_required
@require_http_methods(["GET", "POST"])
def delegation_list(request):
    """Delegations given and received; the form to give one."""
    errors, typed = {}, {}
    if request.method == "POST":
        typed = request.POST
        delegate_id = parse_id(typed.get("delegate"))
        delegate = User.objects.filter(pk=delegate_id).first() if delegate_id else None
        try:
            approvals.delegation_create(actor=request.user, delegate=delegate, starts_at=_when(typed.get("starts_at")),
                                        ends_at=_when(typed.get("ends_at")), reason=typed.get("reason", ""))
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("%(name)s may now decide your approvals in that period.")
                             % {"name": delegate.display_name})
            return redirect("desk:delegations")
    rows = (ApprovalDelegation.objects.filter(Q(delegator=request.user) | Q(delegate=request.user))
            .select_related("delegator", "delegate").order_by("-starts_at", "id")[:100])
    now = timezone.now()
    people = User.objects.filter(is_active=True).exclude(pk=request.user.pk).order_by("first_name", "last_name")[:500]
    return render(request, "desk/approvals/delegations.html", {
        "rows": [{"row": r, "active": r.is_active(now),
                  "given": r.delegator_id == request.user.pk} for r in rows],
        "people": people, "errors": errors, "typed": typed, "status": 400 if errors else 200,
    }, status=400 if errors else 200)


@desk_required
@require_POST
def delegation_revoke(request, pk: int):
    delegation = ApprovalDelegation.objects.filter(pk=pk, delegator=request.user).first()
    if delegation is None:
        raise Http404
    try:
        approvals.delegation_revoke(actor=request.user, delegation=delegation)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, _("The delegation has ended."))
    return redirect("desk:delegations")
