"""Console pages where service level managers create and change SLA definitions and calendars.

Each page parses its forms and calls ONE service (``definition_save`` / ``calendar_save``, as the
API does); the service's errors come back on the form with the input kept. A save based on a page
that someone else has saved since is refused (optimistic locking on the ``version_stamp``).
"""

import functools

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from esm.access import desk_required
from esm.errors import DomainError, StaleVersion

from . import queries, services
from .forms import CalendarForm, DateFormSet, DefinitionForm, EscalationFormSet, EscalationRuleForm, HoursFormSet
from .models import Calendar

STALE = gettext_lazy("Someone else saved this since you opened it. Your changes were not saved; they are still in "
                     "the form. Check the current values (open the page in another tab) and save again to apply "
                     "yours.")


def manager_required(view):
    """Desk staff who are not service level managers get a 403; requesters go to the portal."""

    @desk_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        if not services.can_manage_sla(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _stale(form, exc: StaleVersion):
    """Keep the input; the next save is a deliberate overwrite of the current values."""
    form.data = form.data.copy()
    form.data[form.add_prefix("version")] = exc.current_version
    form.add_error(None, STALE)
    form.stale = True


def _pk(pk: int) -> int:
    return pk if pk <= 2**31 - 1 else 0


# --- Definitions ----------------------------------------------------------------------------


@manager_required
@require_http_methods(["GET", "POST"])
def definition_edit(request, pk: int | None = None):
    definition = get_object_or_404(queries.sla_definitions(), pk=_pk(pk)) if pk is not None else None
    if request.method == "POST":
        form = DefinitionForm(request.POST)
        rules = EscalationFormSet(request.POST, prefix="esc")
        if form.is_valid() and rules.is_valid():
            escalations = [r for r in (f.as_rule() for f in rules.forms) if r is not None]
            try:
                saved = services.definition_save(
                    actor=request.user, definition=definition, escalations=escalations,
                    expected_version=form.cleaned_data["version"] if definition else None, **form.service_kwargs())
            except StaleVersion as exc:
                _stale(form, exc)
            except ValidationError as exc:
                form.add_service_errors(exc, aliases={"response": "response_minutes",
                                                      "resolution": "resolution_minutes"})
            except DomainError as exc:
                form.add_error(None, exc.detail)
            else:
                messages.success(request, _("Saved. Clocks of open tickets are being recomputed."))
                return redirect("desk-sla:definition", saved.pk)
        status = 409 if getattr(form, "stale", False) else 400
    else:
        initial = DefinitionForm.initial_for(definition) if definition else {"order": 100, "active": True,
                                                                             "warn_at": "50, 75, 90"}
        if definition:
            initial["version"] = services.version_stamp(definition)
        form = DefinitionForm(initial=initial)
        rules = EscalationFormSet(prefix="esc", initial=[EscalationRuleForm.initial_for(r)
                                                         for r in definition.escalations.all()] if definition else [])
        status = 200
    return render(request, "sla/desk/definition_form.html", {
        "definition": definition, "form": form, "rules": rules, "sla_nav": True, "section": "definitions",
        "can_manage": True}, status=status)


# --- Calendars ------------------------------------------------------------------------------


@manager_required
@require_http_methods(["GET", "POST"])
def calendar_edit(request, pk: int | None = None):
    calendar = get_object_or_404(Calendar.objects.prefetch_related("hours", "dates"), pk=_pk(pk)) \
        if pk is not None else None
    if request.method == "POST":
        form = CalendarForm(request.POST)
        hours = HoursFormSet(request.POST, prefix="hours")
        dates = DateFormSet(request.POST, prefix="dates")
        if form.is_valid() and hours.is_valid() and dates.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                saved = services.calendar_save(
                    actor=request.user, calendar=calendar, expected_version=version if calendar else None,
                    hours=[h for h in (f.as_hours() for f in hours.forms) if h is not None],
                    dates=[d for d in (f.as_date() for f in dates.forms) if d is not None], **data)
            except StaleVersion as exc:
                _stale(form, exc)
            except ValidationError as exc:
                form.add_service_errors(exc)
            except DomainError as exc:
                form.add_error(None, exc.detail)
            else:
                messages.success(request, _("Saved. Clocks on this calendar are being recomputed."))
                return redirect("desk-sla:calendar", saved.pk)
        status = 409 if getattr(form, "stale", False) else 400
    else:
        initial = CalendarForm.initial_for(calendar) if calendar else {"time_zone": "UTC"}
        if calendar:
            initial["version"] = services.version_stamp(calendar)
        form = CalendarForm(initial=initial)
        hours = HoursFormSet(prefix="hours", initial=[{"weekday": h.weekday, "start": h.start, "end": h.end}
                                                      for h in calendar.hours.all()] if calendar else [])
        dates = DateFormSet(prefix="dates", initial=[
            {"date": d.date, "kind": d.kind, "start": d.start, "end": d.end, "note": d.note}
            for d in calendar.dates.all()] if calendar else [])
        status = 200
    return render(request, "sla/desk/calendar_form.html", {
        "calendar": calendar, "form": form, "hours": hours, "dates": dates, "sla_nav": True,
        "section": "calendars", "can_manage": True}, status=status)



