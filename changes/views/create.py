"""Raising a change in the console: from scratch, from a standard template (pre-approved, no CAB), or
from an incident (the incident page's "Raise a change": prefilled, linked both ways)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from esm.access import desk_required
from esm.errors import DomainError
from servicedesk.choices import TicketKind
from servicedesk.queries import tickets_visible_to
from servicedesk.views.desk import LOOKUP_LIMIT, assignee_groups

from .. import services
from ..choices import ChangeType
from ..forms.desk import ChangeCreateForm
from ..models import ChangeTemplate
from .access import can_manage
from .desk import detail_url


def _id(value) -> int | None:
    value = str(value or "")
    return int(value) if value.isdigit() and len(value) < 18 else None


def _template(request) -> ChangeTemplate | None:
    pk = _id(request.GET.get("template") or request.POST.get("template"))
    if pk is None:
        return None
    template = ChangeTemplate.objects.filter(pk=pk, active=True).select_related("team").first()
    if template is None:
        raise Http404
    return template


def _incident(request):
    number = (request.GET.get("incident") or request.POST.get("incident") or "").strip().upper()[:20]
    if not number:
        return None
    incident = (tickets_visible_to(request.user).filter(kind=TicketKind.INCIDENT, number=number)
                .select_related("service").first())
    if incident is None:
        raise Http404
    return incident


def _prefill(template: ChangeTemplate | None, incident) -> dict:
    if template is not None:
        return {"template": template.pk, "change_type": ChangeType.STANDARD, "title": template.title,
                "description": template.description, "reason": template.reason,
                "implementation_plan": template.implementation_plan, "backout_plan": template.backout_plan,
                "test_plan": template.test_plan, "team": template.team_id}
    if incident is not None:
        from ..choices import ChangeReason

        cis = list(incident.ci_links.values_list("ci_id", flat=True)[:100])
        return {"incident": incident.number, "title": incident.title, "reason": ChangeReason.FIX,
                "description": _("Raised from %(number)s.") % {"number": incident.number},
                "service": incident.service_id, "cis": cis}
    return {}


@desk_required
@require_http_methods(["GET", "POST"])
def change_create(request):
    template = _template(request)
    incident = _incident(request)
    if request.method == "POST":
        form = ChangeCreateForm(request.POST)
    else:
        form = ChangeCreateForm(initial=_prefill(template, incident))
    if form.is_bound and form.is_valid():
        kwargs = form.service_kwargs()
        try:
            if incident is not None:
                ticket = services.change_from_incident(actor=request.user, incident=incident, **kwargs)
            else:
                ticket = services.change_create(actor=request.user, **kwargs)
        except ValidationError as exc:
            form.add_service_errors(exc)
        except DomainError as exc:
            form.add_error(None, exc.detail)
        else:
            messages.success(request, _("%(number)s raised.") % {"number": ticket.number})
            return redirect(detail_url(ticket))
    team_id = _id(form["team"].value())
    return render(request, "desk/changes/create.html", {
        "form": form, "template": template, "incident": incident,
        "assignee_groups": assignee_groups(team_id) if team_id else [],
        "assign_selected": str(form["assignee"].value() or ""),
        "limit": LOOKUP_LIMIT, "is_manager": can_manage(request.user),
        "zone": timezone.get_current_timezone_name(),
    }, status=400 if form.is_bound else 200)


@desk_required
@require_GET
def template_picker(request):
    """Pick a pre-approved standard change; the form opens prefilled from it."""
    templates = list(ChangeTemplate.objects.filter(active=True).select_related("team", "category").order_by("name"))
    return render(request, "desk/changes/templates_pick.html",
                  {"templates": templates, "is_manager": can_manage(request.user)})
