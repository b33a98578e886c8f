"""The change console's lists: the queues, the calendar, the CAB agenda and the metrics.

The queues read like the service desk's (``ticket_rows_queryset``, keyset pages, the same filter
names as the queue and the API): one query for the rows with the change row and its manager
joined, one for the teams of the page, whatever the page's length (rule 6).
"""

import calendar as pycalendar
import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Q
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Team
from cmdb.models import ConfigurationItem
from esm.access import desk_required
from esm.batch import read_together
from esm.errors import DomainError
from esm.pagination import InvalidCursor, keyset_paginate, query_without
from servicedesk import approvals
from servicedesk.choices import TicketKind
from servicedesk.filters import TicketFilterSet
from servicedesk.models import ApprovalStep, ApprovalStepState, ApprovalVote, VoteState
from servicedesk.queries import TICKET_ORDERINGS, ticket_rows_queryset
from servicedesk.views.desk import FilterSelect, is_partial

from .. import queries, services
from ..choices import ChangeState, ChangeType, RiskLevel
from ..conflicts import change_conflicts_many
from . import page
from .access import can_manage, manager_required
from .panels import conflict_rows, risk_reason_texts

PAGE_SIZE = 50
QUEUES = {
    "mine": gettext_lazy("My changes"),
    "approval": gettext_lazy("Awaiting my approval"),
    "week": gettext_lazy("Scheduled this week"),
    "open": gettext_lazy("All open"),
    "all": gettext_lazy("Everything"),
}
ORDERINGS = {name: TICKET_ORDERINGS[name] for name in ("-opened_at", "opened_at", "-updated_at")}
ORDERING_LABELS = {"-opened_at": gettext_lazy("Newest"), "opened_at": gettext_lazy("Oldest"),
                   "-updated_at": gettext_lazy("Recently updated")}
ROW_CHANGE_FIELDS = ("change__change_type", "change__risk_level", "change__planned_start", "change__planned_end",
                     "change__change_manager__username", "change__change_manager__first_name",
                     "change__change_manager__last_name")


def week_bounds(now: datetime | None = None) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday in the reader's time zone (rule 9)."""
    today = timezone.localdate(now)
    monday = today - timedelta(days=today.weekday())
    start = timezone.make_aware(datetime.combine(monday, time.min))
    return start, start + timedelta(days=7)


def queue_condition(user, queue: str) -> Q:
    if queue == "mine":
        return Q(active=True) & (Q(requester=user) | Q(assignee=user) | Q(change__change_manager=user))
    if queue == "approval":
        return Q(Exists(ApprovalVote.objects.filter(step__ticket_id=OuterRef("pk"), approver=user,
                                                    state=VoteState.PENDING, step__state=ApprovalStepState.PENDING)))
    if queue == "week":
        start, end = week_bounds()
        return Q(change__planned_start__lt=end, change__planned_end__gt=start,
                 state__in=[ChangeState.SCHEDULED, ChangeState.IMPLEMENTING, ChangeState.AUTHORIZATION])
    if queue == "all":
        return Q()
    return Q(active=True)


@dataclass
class Row:
    ticket: object
    change: object
    state: object
    type_badge: str
    risk_badge: str


def _choice(params, name: str, values) -> str:
    value = params.get(name, "")
    return value if value in values else ""


@desk_required
@require_GET
def change_list(request):
    params = request.GET
    queue = params.get("queue") if params.get("queue") in QUEUES else "mine"
    base = (ticket_rows_queryset(request.user, select=("change", "change__change_manager"),
                                 extra_fields=ROW_CHANGE_FIELDS, lookups=("team",))
            .filter(kind=TicketKind.CHANGE).filter(queue_condition(request.user, queue)))
    change_type = _choice(params, "type", ChangeType.values)
    risk = _choice(params, "risk", RiskLevel.values)
    if change_type:
        base = base.filter(change__change_type=change_type)
    if risk:
        base = base.filter(change__risk_level=risk)
    filterset = TicketFilterSet(params, queryset=base, request=request)
    ordering = params.get("ordering") if params.get("ordering") in ORDERINGS else "-opened_at"
    paginate = functools.partial(keyset_paginate, filterset.qs, orderings=ORDERINGS, ordering=ordering,
                                 default_ordering="-opened_at", page_size=PAGE_SIZE)
    cursor_error = None
    try:
        page_ = paginate(cursor=params.get("cursor") or None)
    except InvalidCursor as exc:
        cursor_error = exc.messages[0]
        page_ = paginate(cursor=None)
    rows = [Row(t, t.change, page.state_label(t.state), page.TYPE_BADGE.get(t.change.change_type, "secondary"),
                page.RISK_BADGE.get(t.change.risk_level, "secondary")) for t in page_.items]
    context = {
        "queue": queue, "queues": list(QUEUES.items()), "rows": rows, "page": page_, "ordering": ordering,
        "orderings": list(ORDERING_LABELS.items()),
        "filter_errors": filterset.errors if filterset.is_bound else {}, "cursor_error": cursor_error,
        "q": params.get("q", ""),
        "filter_query": query_without(params, "cursor", "queue"),
        "page_query": query_without(params, "cursor"),
        "filtered": any(params.get(s) for s in ("q", "state", "team_id", "service_id", "type", "risk")),
        "is_manager": can_manage(request.user),
    }
    if is_partial(request, "change-results"):
        template = "desk/changes/_list_results.html"
    else:
        template = "desk/changes/list.html"
        context["selects"] = _filter_selects(params)
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _filter_selects(params) -> list[FilterSelect]:
    found = read_together(
        teams=Team.objects.filter(active=True).order_by("name").values_list("id", "name"),
        services=ConfigurationItem.objects.services().order_by("name").values_list("id", "name"),
    )
    selects = [
        FilterSelect("state", _("State"), [(s.value, str(s.label)) for s in ChangeState]),
        FilterSelect("type", _("Type"), [(t.value, str(t.label)) for t in ChangeType]),
        FilterSelect("risk", _("Risk"), [(r.value, str(r.label)) for r in RiskLevel]),
        FilterSelect("team_id", _("Team"), [(str(pk), name) for pk, name in found["teams"]]),
        FilterSelect("service_id", _("Service"), [(str(pk), name) for pk, name in found["services"]]),
    ]
    for select in selects:
        select.selected = set(params.getlist(select.name))
    return selects


# --- Calendar -------------------------------------------------------------------------------


def _parse_day(raw: str) -> date:
    try:
        return date.fromisoformat(raw[:10]) if raw else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _int_param(params, name: str) -> int | None:
    raw = params.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 18 else None


@dataclass
class Day:
    day: date
    in_month: bool
    today: bool
    changes: list
    freezes: list


@desk_required
@require_GET
def calendar(request):
    """Month or week grid of planned changes and freeze windows, in the reader's time zone."""
    params = request.GET
    view = "week" if params.get("view") == "week" else "month"
    anchor = _parse_day(params.get("day", ""))
    if view == "week":
        first = anchor - timedelta(days=anchor.weekday())
        last = first + timedelta(days=6)
        previous, following = first - timedelta(days=7), first + timedelta(days=7)
    else:
        first_of_month = anchor.replace(day=1)
        first = first_of_month - timedelta(days=first_of_month.weekday())
        days_in_month = pycalendar.monthrange(anchor.year, anchor.month)[1]
        last_of_month = anchor.replace(day=days_in_month)
        last = last_of_month + timedelta(days=6 - last_of_month.weekday())
        previous = (first_of_month - timedelta(days=1)).replace(day=1)
        following = last_of_month + timedelta(days=1)
    start = timezone.make_aware(datetime.combine(first, time.min))
    end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))
    service_id, team_id = _int_param(params, "service"), _int_param(params, "team")
    change_type = _choice(params, "type", ChangeType.values)
    tickets = list(queries.calendar_changes(
        request.user, start, end, service_ids=[service_id] if service_id else (),
        team_ids=[team_id] if team_id else (), types=[change_type] if change_type else ())[:queries.CALENDAR_LIMIT])
    freezes = list(queries.calendar_freezes(start, end, service_ids=[service_id] if service_id else ()))
    filters = {"service": service_id, "team": team_id, "type": change_type}
    today = timezone.localdate()
    days = []
    cursor = first
    while cursor <= last:
        day_start = timezone.make_aware(datetime.combine(cursor, time.min))
        day_end = day_start + timedelta(days=1)
        days.append(Day(
            day=cursor, in_month=view == "week" or cursor.month == anchor.month, today=cursor == today,
            changes=[t for t in tickets if t.change.planned_start < day_end and t.change.planned_end > day_start],
            freezes=[f for f in freezes if f.starts_at < day_end and f.ends_at > day_start]))
        cursor += timedelta(days=1)
    for ticket in tickets:
        ticket.type_badge = page.TYPE_BADGE.get(ticket.change.change_type, "secondary")
        ticket.state_shown = page.state_label(ticket.state)
    selects = read_together(
        teams=Team.objects.filter(active=True).order_by("name").values_list("id", "name"),
        services=ConfigurationItem.objects.services().order_by("name").values_list("id", "name"),
    )
    keep = query_without(params, "day", "view")
    context = {
        "view": view, "anchor": anchor, "weeks": [days[i:i + 7] for i in range(0, len(days), 7)],
        "previous": previous.isoformat(), "following": following.isoformat(), "today": today.isoformat(),
        "keep": keep, "filters": filters, "teams": selects["teams"], "services": selects["services"],
        "types": ChangeType.choices, "zone": timezone.get_current_timezone_name(),
        "feed_url": request.session.pop("change_feed_url", None),
        "weekdays": [first + timedelta(days=i) for i in range(7)],
    }
    return render(request, "desk/changes/calendar.html", context)


@desk_required
@require_POST
def calendar_subscribe(request):
    """A new feed token; its address is shown once (only its digest is kept)."""
    try:
        _row, token = services.calendar_token_create(actor=request.user)
    except (DomainError, ValidationError) as exc:
        messages.error(request, getattr(exc, "detail", None) or " ".join(exc.messages))
        return redirect("desk-changes:calendar")
    # Shown on the next page only: the session carries it across the redirect, then forgets it.
    feed = reverse("change-calendar-feed") + "?" + urlencode({"token": token})
    request.session["change_feed_url"] = request.build_absolute_uri(feed)
    messages.success(request, _("Your calendar address is below. Copy it now: it is not shown again."))
    return redirect("desk-changes:calendar")


# --- CAB agenda -----------------------------------------------------------------------------


AGENDA_AHEAD = timedelta(days=14)
SCHEDULED_AHEAD = timedelta(days=7)


def _approval_progress(ticket_ids: list[int]) -> dict[int, list[dict]]:
    """The pending steps of these tickets with their vote counts: one query for the whole agenda."""
    if not ticket_ids:
        return {}
    steps = (ApprovalStep.objects.filter(ticket_id__in=ticket_ids, state=ApprovalStepState.PENDING)
             .annotate(approved=Count("votes", filter=Q(votes__state=VoteState.APPROVED)),
                       rejected=Count("votes", filter=Q(votes__state=VoteState.REJECTED)),
                       waiting=Count("votes", filter=Q(votes__state=VoteState.PENDING)), total=Count("votes"))
             .order_by("ticket_id", "round", "order")
             .values("ticket_id", "name", "policy", "threshold", "approved", "rejected", "waiting", "total"))
    out: dict[int, list[dict]] = {}
    for step in steps:
        step["required"] = approvals.required_approvals(step["policy"], step["threshold"], step["total"])
        out.setdefault(step["ticket_id"], []).append(step)
    return out


def _agenda_item(ticket, conflicts, progress) -> dict:
    change = ticket.change
    return {
        "ticket": ticket, "change": change, "state": page.state_label(ticket.state),
        "type_badge": page.TYPE_BADGE.get(change.change_type, "secondary"),
        "risk_badge": page.RISK_BADGE.get(change.risk_level, "secondary"),
        "reasons": risk_reason_texts(change.risk_reasons), "conflicts": conflict_rows(conflicts),
        "steps": progress.get(ticket.pk, []),
    }


@desk_required
@require_GET
def cab_agenda(request):
    """Changes up for the next CAB: awaiting authorization (and in assessment, planned soon), then
    those scheduled in the coming week; with risk, reasons, conflicts and approval progress."""
    now = timezone.now()
    up = queries.cab_agenda(request.user, until=now + AGENDA_AHEAD)
    scheduled = [t for t in queries.calendar_changes(request.user, now, now + SCHEDULED_AHEAD)[:100]
                 if t.state == ChangeState.SCHEDULED]
    scheduled_conflicts = change_conflicts_many([t.change for t in scheduled])
    progress = _approval_progress([t.pk for t in up])
    context = {
        "awaiting": [_agenda_item(t, t.conflicts, progress) for t in up],
        "scheduled": [_agenda_item(t, scheduled_conflicts.get(t.pk, []), {}) for t in scheduled],
        "zone": timezone.get_current_timezone_name(), "now": now,
    }
    return render(request, "desk/changes/cab.html", context)


# --- Metrics --------------------------------------------------------------------------------


@manager_required
@require_GET
def metrics(request):
    """Success rate, emergency share, changes that caused incidents and lead time, per month and team."""
    months = _int_param(request.GET, "months") or 6
    months = max(1, min(months, 24))
    today = timezone.localdate()
    first = today.replace(day=1)
    for _i in range(months - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    start = timezone.make_aware(datetime.combine(first, time.min))
    rows = queries.change_metrics(request.user, start, timezone.now())
    totals = _totals(rows)
    by_month: dict[str, dict] = {}
    for row in rows:
        by_month.setdefault(row["month"], []).append(row)
    return render(request, "desk/changes/metrics.html", {
        "rows": rows, "months": months, "month_choices": (3, 6, 12, 24), "since": first,
        "by_month": [_totals(month_rows) | {"month": month} for month, month_rows in by_month.items()],
        "totals": totals,
    })


def _totals(rows: list[dict]) -> dict:
    """The same figures over several rows (a month's teams, or everything)."""
    opened = sum(r["opened"] for r in rows)
    emergency = sum(r["emergency"] for r in rows)
    implemented = sum(r["implemented"] for r in rows)
    successful = sum(r["successful"] for r in rows)
    weighted = [(r["mean_lead_time_hours"], r["implemented"] or 1) for r in rows
                if r["mean_lead_time_hours"] is not None]
    weight = sum(w for _h, w in weighted)
    return {
        "opened": opened, "emergency": emergency, "implemented": implemented, "successful": successful,
        "emergency_share": emergency / opened if opened else None,
        "success_rate": successful / implemented if implemented else None,
        "caused_incidents": sum(r["caused_incidents"] for r in rows),
        "mean_lead_time_hours": round(sum(h * w for h, w in weighted) / weight, 1) if weight else None,
    }
