"""Console pages for service levels (``/desk/sla/``): breaching soon, definitions, calendars, compliance.

Desk staff may look; definitions and calendars are edited by service level managers in the admin
(and through the API). Each list page runs a fixed number of queries.
"""

import json
from datetime import date

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from esm.access import desk_required

from . import queries, reports
from .api.views import month_range
from .choices import AgreementType, Metric
from .queries import clock_view
from .reports import DIMENSIONS
from .services import can_manage_sla

DIMENSION_LABELS = {"definition": _("SLA"), "priority": _("Priority"), "team": _("Team"), "service": _("Service")}


def _common(request) -> dict:
    return {"can_manage": can_manage_sla(request.user), "sla_nav": True}


@desk_required
@require_GET
def breaching(request):
    """Running clocks due in the next hours, soonest (or most overdue) first."""
    try:
        hours = max(1, min(int(request.GET.get("hours", "8")), 72))
    except ValueError:
        hours = 8
    now = timezone.now()
    rows = [clock_view(c, now) for c in queries.breaching_soon(request.user, within_seconds=hours * 3600)]
    return render(request, "sla/desk/breaching.html", {**_common(request), "rows": rows, "hours": hours,
                                                       "hour_choices": [1, 4, 8, 24, 72], "section": "breaching"})


@desk_required
@require_GET
def definitions(request):
    """One table per agreement type (SLA, OLA, UC), each in the order definitions are tried."""
    found = list(queries.sla_definitions())
    groups = [(label, sorted((d for d in found if d.type == value), key=lambda d: (d.order, d.name)))
              for value, label in AgreementType.choices]
    return render(request, "sla/desk/definitions.html", {
        **_common(request), "groups": [(label, rows) for label, rows in groups if rows], "section": "definitions"})


@desk_required
@require_GET
def definition_detail(request, pk: int):
    definition = get_object_or_404(queries.sla_definitions(), pk=pk)
    return render(request, "sla/desk/definition_detail.html", {
        **_common(request), "definition": definition, "section": "definitions"})


@desk_required
@require_GET
def calendars(request):
    return render(request, "sla/desk/calendars.html", {
        **_common(request), "calendars": list(queries.calendars()), "section": "calendars"})


@desk_required
@require_GET
def calendar_detail(request, pk: int):
    calendar = get_object_or_404(queries.calendars(), pk=pk)
    holidays = []
    if calendar.holiday_country:
        import holidays as holidays_lib

        year = timezone.localdate().year
        found = holidays_lib.country_holidays(calendar.holiday_country, subdiv=calendar.holiday_subdivision or None,
                                              years=[year, year + 1])
        holidays = sorted(found.items())
    return render(request, "sla/desk/calendar_detail.html", {
        **_common(request), "calendar": calendar, "holidays": holidays, "section": "calendars"})


@desk_required
@require_GET
def report(request):
    """Compliance per month and a dimension, as a table and a chart; CSV with ``format=csv``."""
    params = {k: request.GET.get(k, "") for k in ("start", "end", "group_by", "type")}
    dimension = params["group_by"] if params["group_by"] in DIMENSIONS else "definition"
    type_ = params["type"] if params["type"] in AgreementType.values else AgreementType.SLA
    error = None
    months = {k: params[k] for k in ("start", "end") if params[k]}
    try:
        for value in months.values():
            if len(value) != 7 or value[4] != "-" or not value.replace("-", "").isdigit() \
                    or not 1 <= int(value[5:]) <= 12:
                raise ValueError(_("Write months as YYYY-MM."))
        start, end = month_range(months)
    except Exception as exc:  # noqa: BLE001 - a bad filter is shown, not a 500
        error = getattr(exc, "detail", None) or str(exc)
        if isinstance(error, dict):
            error = " ".join(str(m) for messages in error.values() for m in messages)
        start, end = month_range({})
    rows = reports.compliance(start=start, end=end, dimension=dimension, type_=type_)
    if request.GET.get("format") == "csv":
        response = HttpResponse(reports.as_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="sla-compliance-{start:%Y-%m}.csv"'
        return response
    groups = sorted({r.group for r in rows})
    month_keys = sorted({r.month for r in rows})
    chart = {
        "labels": [m.strftime("%Y-%m") for m in month_keys],
        "datasets": [
            {"label": f"{g} · {Metric(metric).label}",
             "data": [next((r.percent_met for r in rows if r.group == g and r.metric == metric and r.month == m),
                           None) for m in month_keys]}
            for g in groups for metric in (Metric.RESPONSE, Metric.RESOLUTION)
            if any(r.group == g and r.metric == metric for r in rows)
        ],
    }
    return render(request, "sla/desk/report.html", {
        **_common(request), "rows": rows, "chart_json": json.dumps(chart), "dimension": dimension,
        "dimensions": [(k, DIMENSION_LABELS[k]) for k in DIMENSIONS], "type": type_,
        "types": AgreementType.choices, "start": f"{start:%Y-%m}",
        "end": params["end"] or f"{date.today():%Y-%m}", "error": error,
        "csv_query": request.GET.urlencode(), "section": "report"})


