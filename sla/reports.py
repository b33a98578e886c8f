"""Compliance reports, aggregated in SQL: a report never loads every clock into Python.

Per month and one dimension (SLA definition, priority, team or service) and metric: clocks met,
breached, the percentage met, and the average and 90th percentile of the business time used.
Business time excludes time in pausing states by construction (clocks never count it).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Aggregate, Avg, CharField, Count, F, FloatField, Q, Value
from django.db.models.functions import Cast, Coalesce, TruncMonth
from django.utils import timezone

from .choices import AgreementType, ClockState
from .models import Clock

DIMENSIONS = {
    "definition": ("definition__name", "definition__name"),
    "priority": ("ticket__priority", "ticket__priority"),
    "team": ("team_label", None),
    "service": ("service_label", None),
}
DEFAULT_DIMENSION = "definition"


class Percentile90(Aggregate):
    function = "percentile_cont"
    template = "percentile_cont(0.9) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


@dataclass
class ReportRow:
    month: date
    group: str
    metric: str
    total: int
    met: int
    breached: int
    open: int
    percent_met: float | None
    avg_seconds: float | None
    p90_seconds: float | None


def compliance(*, start: date, end: date, dimension: str = DEFAULT_DIMENSION, type_: str = AgreementType.SLA,
               ) -> list[ReportRow]:
    """Clocks started in [start, end) grouped by month, ``dimension`` and metric (one query)."""
    tz = timezone.get_current_timezone()
    start_at = timezone.make_aware(datetime.combine(start, datetime.min.time()), tz)
    end_at = timezone.make_aware(datetime.combine(end, datetime.min.time()), tz)
    finished = Q(state=ClockState.STOPPED)
    qs = (Clock.objects.filter(type=type_, started_at__gte=start_at, started_at__lt=end_at)
          .annotate(month=TruncMonth("started_at", tzinfo=tz),
                    team_label=Coalesce("team__name", "ticket__team__name", Value("—"), output_field=CharField()),
                    service_label=Coalesce("ticket__service__name", Value("—"), output_field=CharField()))
          .annotate(group=Cast(F(DIMENSIONS[dimension][0]), CharField()))
          .values("month", "group", "metric")
          .annotate(total=Count("id"),
                    met=Count("id", filter=finished & Q(breached=False)),
                    breached=Count("id", filter=Q(breached=True)),
                    avg=Avg("elapsed_seconds", filter=finished),
                    p90=Percentile90("elapsed_seconds", filter=finished))
          .order_by("month", "group", "metric"))
    rows = []
    for r in qs:
        decided = r["met"] + r["breached"]
        rows.append(ReportRow(
            month=r["month"].date() if isinstance(r["month"], datetime) else r["month"],
            group=f"P{r['group']}" if dimension == "priority" else r["group"], metric=r["metric"],
            total=r["total"], met=r["met"], breached=r["breached"], open=r["total"] - decided,
            percent_met=round(100.0 * r["met"] / decided, 1) if decided else None,
            avg_seconds=round(r["avg"], 1) if r["avg"] is not None else None,
            p90_seconds=round(r["p90"], 1) if r["p90"] is not None else None))
    return rows


CSV_HEADER = ["month", "group", "metric", "total", "met", "breached", "open", "percent_met", "avg_seconds",
              "p90_seconds"]


def as_csv(rows: list[ReportRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for r in rows:
        month = r.month.strftime("%Y-%m") if hasattr(r.month, "strftime") else str(r.month)[:7]
        writer.writerow([month, r.group, r.metric, r.total, r.met, r.breached, r.open,
                         "" if r.percent_met is None else r.percent_met,
                         "" if r.avg_seconds is None else r.avg_seconds,
                         "" if r.p90_seconds is None else r.p90_seconds])
    return out.getvalue()
