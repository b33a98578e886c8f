"""Console pages of satisfaction (``/desk/surveys/``): CSAT, the low-score queue and survey policies.

CSAT and low scores need ``surveys.view_satisfaction`` (team leads, service level managers,
administrators); policies also ``surveys.change_surveypolicy``. Other desk staff get a 403,
requesters the portal (``esm.access.console_guard``). Every write is one service call.
"""

import csv
import functools
import io
import json

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from esm.api_bases import parse_id
from esm.pagination import InvalidCursor, keyset_paginate, query_without
from servicedesk import registry

from .. import queries, services
from ..access import can_manage_policies, policies_required, satisfaction_required
from ..forms import FollowUpForm, PolicyForm
from ..models import FollowUpState, Survey, SurveyPolicy
from .common import run_service

PAGE_SIZE = 50
DIMENSION_LABELS = {"team": gettext_lazy("Team"), "agent": gettext_lazy("Agent"),
                    "service": gettext_lazy("Service"), "kind": gettext_lazy("Kind")}
QUEUE_STATES = [FollowUpState.OPEN, FollowUpState.CONTACTED, FollowUpState.CLOSED]


def _common(request, section: str) -> dict:
    return {"section": section, "can_manage_policies": can_manage_policies(request.user)}


# --- CSAT -----------------------------------------------------------------------------------


@satisfaction_required
@require_GET
def csat(request):
    """CSAT per month and a dimension, as a chart and a table; CSV with ``format=csv``."""
    params = request.GET
    dimension = params.get("group_by") if params.get("group_by") in queries.DIMENSIONS else "team"
    kind = params.get("kind") if registry.find(params.get("kind", "")) else ""
    error = None
    try:
        start, end = queries.month_range(params.get("start", ""), params.get("end", ""))
    except ValueError as exc:
        error = str(exc)
        start, end = queries.month_range()
    rows = queries.csat(start=start, end=end, dimension=dimension, kind=kind)
    if params.get("format") == "csv":
        response = HttpResponse(_csv(rows), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="csat-{start:%Y-%m}.csv"'
        return response
    last_month = queries.add_months(end, -1)
    return render(request, "surveys/desk/csat.html", {
        **_common(request, "csat"), "rows": rows, "totals": queries.csat_totals(rows),
        "chart_json": json.dumps(queries.csat_chart(rows)), "dimension": dimension,
        "dimension_label": DIMENSION_LABELS[dimension],
        "dimensions": [(k, DIMENSION_LABELS[k]) for k in queries.DIMENSIONS], "kind": kind,
        "kinds": registry.kind_choices(), "start": f"{start:%Y-%m}", "end": f"{last_month:%Y-%m}",
        "error": error, "csv_query": params.urlencode(),
        "low_open": Survey.objects.filter(followup_state=FollowUpState.OPEN).exists()})


def _csv(rows) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["month", "group", "responses", "satisfied", "csat_percent", "average_score"])
    for r in rows:
        writer.writerow([r.month.strftime("%Y-%m"), r.group, r.responses, r.satisfied, r.csat_percent,
                         r.average_score])
    return out.getvalue()


# --- Low scores -----------------------------------------------------------------------------


@satisfaction_required
@require_GET
def low_scores(request):
    """Scores of 2 or less, by follow-up state, newest answer first (keyset pages)."""
    params = request.GET
    state = params.get("state") if params.get("state") in FollowUpState.values else FollowUpState.OPEN
    paginate = functools.partial(keyset_paginate, queries.low_scores(state), orderings=queries.RESULT_ORDERINGS,
                                 ordering="-answered_at", default_ordering="-answered_at", page_size=PAGE_SIZE)
    cursor_error = None
    try:
        page = paginate(cursor=params.get("cursor") or None)
    except InvalidCursor as exc:
        cursor_error = exc.messages[0]
        page = paginate(cursor=None)
    return render(request, "surveys/desk/low_scores.html", {
        **_common(request, "low_scores"), "page": page, "state": state,
        "states": [(s, FollowUpState(s).label) for s in QUEUE_STATES], "cursor_error": cursor_error,
        "page_query": query_without(params, "cursor")})


def _survey_or_404(pk) -> Survey:
    pk = parse_id(pk)
    survey = queries.results_queryset().filter(pk=pk).first() if pk else None
    if survey is None or not survey.followup_state:
        raise Http404
    return survey


@satisfaction_required
@require_GET
def low_score(request, pk):
    survey = _survey_or_404(pk)
    return _render_low_score(request, survey, FollowUpForm())


def _render_low_score(request, survey: Survey, form, status: int = 200):
    return render(request, "surveys/desk/low_score.html", {
        **_common(request, "low_scores"), "survey": survey, "form": form,
        "followups": list(survey.followups.select_related("actor").order_by("at", "id")),
        "ticket_url": registry.ticket_url(survey.ticket.kind, survey.ticket.number, "desk"),
        "closed": survey.followup_state == FollowUpState.CLOSED}, status=status)


@satisfaction_required
@require_POST
def follow_up(request, pk):
    survey = _survey_or_404(pk)
    form = FollowUpForm(request.POST)
    if form.is_valid() and run_service(form, lambda: services.survey_follow_up(
            survey=survey, actor=request.user, state=form.cleaned_data["state"], note=form.cleaned_data["note"])):
        messages.success(request, _("Follow-up recorded."))
        return redirect("desk-surveys:low_score", pk=survey.pk)
    return _render_low_score(request, survey, form, status=400)


# --- Policies -------------------------------------------------------------------------------


@policies_required
@require_GET
def policies(request):
    """One row per registered kind of ticket, with its policy or "no surveys"."""
    found = {p.kind: p for p in SurveyPolicy.objects.all()}
    rows = [(kind, label, found.get(kind)) for kind, label in registry.kind_choices()]
    return render(request, "surveys/desk/policies.html", {**_common(request, "policies"), "rows": rows})


@policies_required
@require_http_methods(["GET", "POST"])
def policy_edit(request, kind: str):
    process = registry.find(kind)
    if process is None:
        raise Http404
    policy = SurveyPolicy.objects.filter(kind=kind).first()
    if request.method == "POST":
        form = PolicyForm(request.POST)
        if form.is_valid() and run_service(form, lambda: services.policy_save(
                actor=request.user, kind=kind, expected_version=form.cleaned_data["version"], **form.values())):
            messages.success(request, _("Survey policy saved."))
            return redirect("desk-surveys:policies")
    elif policy is not None:
        form = PolicyForm(initial={"version": policy.version, **{f: getattr(policy, f) for f in PolicyForm.FIELDS}})
    else:
        form = PolicyForm()
    return render(request, "surveys/desk/policy_edit.html", {
        **_common(request, "policies"), "form": form, "policy": policy, "kind_label": process.label},
        status=400 if form.is_bound else 200)

