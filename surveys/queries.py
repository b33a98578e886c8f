"""Reads of the surveys app: results, the low-score queue, a requester's open surveys and CSAT.

CSAT is the share of answers scoring 4 or 5 (``SATISFIED_FROM``), with the average score beside
it; both are aggregated in SQL per month and one dimension (team, agent, service or kind), in the
reader's time zone (rule 9), in one query whatever the number of surveys.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Avg, Count, Q, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import display_name
from servicedesk import registry

from .models import SATISFIED_FROM, Survey
from .services import EDIT_HOURS

RESULT_ORDERINGS = {"-answered_at": ("-answered_at", "-id"), "answered_at": ("answered_at", "id")}
RESULT_ORDERING_FILTERS = {name: Q(answered_at__isnull=False) for name in RESULT_ORDERINGS}


def results_queryset() -> QuerySet:
    """Answered surveys with what a result row shows, for people holding ``view_satisfaction``."""
    return (Survey.objects.filter(answered_at__isnull=False)
            .select_related("ticket", "team", "agent", "service", "requester")
            .only("id", "version", "kind", "score", "comment", "answered_at", "answer_updated_at", "answered_via",
                  "followup_state", "resolved_at", "invited_at",
                  "ticket__id", "ticket__number", "ticket__title", "ticket__kind",
                  "team__id", "team__name", "service__id", "service__name",
                  "agent__id", "agent__username", "agent__first_name", "agent__last_name",
                  "requester__id", "requester__username", "requester__first_name", "requester__last_name"))


def low_scores(state: str) -> QuerySet:
    """The low-score queue in one follow-up state (walks ``survey_followup_idx``)."""
    return results_queryset().filter(followup_state=state)


def open_for_requester(user, now=None) -> list[Survey]:
    """Surveys a requester may answer now (newest first): unanswered and not expired, or still editable."""
    now = now or timezone.now()
    return list(Survey.objects.filter(requester=user, invited_at__isnull=False)
                .filter(Q(answered_at__isnull=True, expires_at__gt=now)
                        | Q(answered_at__gt=now - timedelta(hours=EDIT_HOURS)))
                .select_related("ticket").order_by("-invited_at", "-id")[:50])


# --- CSAT -----------------------------------------------------------------------------------

DIMENSIONS = ("team", "agent", "service", "kind")
DIMENSION_FIELDS = {
    "team": ("team_id", "team__name"),
    "agent": ("agent_id", "agent__first_name", "agent__last_name", "agent__username"),
    "service": ("service_id", "service__name"),
    "kind": ("kind",),
}


@dataclass
class CsatRow:
    month: date
    group_id: int | str | None
    group: str
    responses: int
    satisfied: int
    csat_percent: float
    average_score: float


def parse_month(value: str) -> date:
    """``YYYY-MM`` → the first of that month; ValueError otherwise."""
    if len(value) != 7 or value[4] != "-" or not value.replace("-", "").isdigit() or not 1 <= int(value[5:]) <= 12:
        raise ValueError(_("Write months as YYYY-MM."))
    return date(int(value[:4]), int(value[5:]), 1)


def month_range(start: str = "", end: str = "", *, months_back: int = 12) -> tuple[date, date]:
    """[first day of ``start``, first day after ``end``); by default the last ``months_back`` months."""
    today = timezone.localdate()
    last = parse_month(end) if end else today.replace(day=1)
    first = parse_month(start) if start else add_months(last, -(months_back - 1))
    if first > last:
        raise ValueError(_("The start month is after the end month."))
    if (last.year - first.year) * 12 + last.month - first.month >= 60:
        raise ValueError(_("Choose at most five years."))
    return first, add_months(last, 1)


def add_months(day: date, n: int) -> date:
    index = day.year * 12 + day.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def _label(dimension: str, row: dict) -> str:
    if dimension == "agent":
        if row["agent_id"] is None:
            return _("No agent")
        return display_name(row["agent__first_name"], row["agent__last_name"], row["agent__username"])
    if dimension == "kind":
        process = registry.find(row["kind"])
        return str(process.label) if process else row["kind"]
    name = row[DIMENSION_FIELDS[dimension][1]]
    return name or (_("No team") if dimension == "team" else _("No service"))


def csat(*, start: date, end: date, dimension: str = "team", kind: str = "") -> list[CsatRow]:
    """Answers in [start, end) per month of answering and ``dimension`` (one query)."""
    tz = timezone.get_current_timezone()
    start_at = timezone.make_aware(datetime.combine(start, datetime.min.time()), tz)
    end_at = timezone.make_aware(datetime.combine(end, datetime.min.time()), tz)
    fields = DIMENSION_FIELDS[dimension]
    qs = Survey.objects.filter(answered_at__gte=start_at, answered_at__lt=end_at)
    if kind:
        qs = qs.filter(kind=kind)
    rows = (qs.annotate(month=TruncMonth("answered_at", tzinfo=tz)).values("month", *fields)
            .annotate(responses=Count("id"), satisfied=Count("id", filter=Q(score__gte=SATISFIED_FROM)),
                      average=Avg("score"))
            .order_by("month", *fields))
    result = []
    for r in rows:
        month = r["month"].date() if isinstance(r["month"], datetime) else r["month"]
        result.append(CsatRow(
            month=month, group_id=r[fields[0]], group=_label(dimension, r), responses=r["responses"],
            satisfied=r["satisfied"], csat_percent=round(100.0 * r["satisfied"] / r["responses"], 1),
            average_score=round(float(r["average"]), 2)))
    return result


def csat_totals(rows: list[CsatRow]) -> dict:
    """Over the whole period: responses, CSAT and average score."""
    responses = sum(r.responses for r in rows)
    if not responses:
        return {"responses": 0, "csat_percent": None, "average_score": None}
    satisfied = sum(r.satisfied for r in rows)
    average = sum(r.average_score * r.responses for r in rows) / responses
    return {"responses": responses, "csat_percent": round(100.0 * satisfied / responses, 1),
            "average_score": round(average, 2)}


def csat_chart(rows: list[CsatRow], *, max_groups: int = 8) -> dict:
    """Chart.js data: CSAT per month, one line per group (the ``max_groups`` with most answers)."""
    months = sorted({r.month for r in rows})
    volume: dict[str, int] = {}
    for r in rows:
        volume[r.group] = volume.get(r.group, 0) + r.responses
    groups = sorted(volume, key=lambda g: (-volume[g], g))[:max_groups]
    cell = {(r.group, r.month): r.csat_percent for r in rows}
    return {"labels": [m.strftime("%Y-%m") for m in months],
            "datasets": [{"label": g, "data": [cell.get((g, m)) for m in months]} for g in groups]}
