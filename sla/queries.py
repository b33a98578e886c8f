"""Reads shared by the API, the console pages and the extension panels: clocks as people see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from servicedesk.queries import tickets_visible_to

from .calendar import business_calendar
from .choices import BREACH, ClockState
from .clocks import elapsed_now
from .models import Calendar, Clock, SlaDefinition


@dataclass
class ClockView:
    clock: Clock
    elapsed: int  # business seconds used so far
    remaining: int  # business seconds left (negative: overdue)
    percent: int
    colour: str  # bootstrap contextual colour
    outside_hours: bool = False  # running, but its calendar is closed now: no business time passes


    @property
    def overdue(self) -> bool:
        return self.remaining < 0

    @property
    def paused(self) -> bool:
        return self.clock.state == ClockState.PAUSED


def colour_for(clock: Clock, percent: int, thresholds: list[int]) -> str:
    if clock.breached or percent >= BREACH:
        return "danger"
    if clock.state == ClockState.STOPPED:
        return "success"
    reached = [p for p in thresholds if p <= percent]
    if not reached:
        return "success" if clock.state == ClockState.RUNNING else "secondary"
    highest = max(reached)
    return "warning" if highest < max(thresholds, default=0) else "orange"


def clock_view(clock: Clock, now: datetime) -> ClockView:
    calendar = business_calendar(clock.definition.calendar)
    elapsed = elapsed_now(clock, calendar, now)
    target = clock.target_seconds or 1
    percent = int(elapsed * 100 // target)
    thresholds = [p for p in clock.definition.warn_at if p < BREACH]
    return ClockView(clock=clock, elapsed=elapsed, remaining=target - elapsed, percent=percent,
                     colour=colour_for(clock, percent, thresholds),
                     outside_hours=clock.state == ClockState.RUNNING and not calendar.is_open(now))


def clocks_queryset() -> QuerySet:
    # One query. A calendar's hours and dates are read only when business_calendar() builds it
    # (once per process and calendar change), not prefetched on every read of a clock.
    return (Clock.objects.select_related("definition__calendar", "team", "ticket")
            .order_by("ticket_id", "type", "metric", "team_id", "segment"))


def clocks_for_tickets(ticket_ids: list[int], now: datetime | None = None) -> dict[int, list[ClockView]]:
    now = now or timezone.now()
    out: dict[int, list[ClockView]] = {pk: [] for pk in ticket_ids}
    # The panels need the clock, its definition, calendar and team; not the ticket row they hang on.
    clocks = Clock.objects.select_related("definition__calendar", "team").order_by(
        "ticket_id", "type", "metric", "team_id", "segment")
    for clock in clocks.filter(ticket_id__in=ticket_ids):
        out[clock.ticket_id].append(clock_view(clock, now))
    return out


def clocks_visible_to(user) -> QuerySet:
    return clocks_queryset().filter(ticket__in=tickets_visible_to(user).values("pk"))


def breaching_soon(user, *, within_seconds: int = 4 * 3600, limit: int = 100) -> QuerySet:
    """Running clocks due within the next hours (wall clock), soonest first: walks the due index."""
    now = timezone.now()
    horizon = now + timezone.timedelta(seconds=within_seconds)
    return (clocks_visible_to(user).filter(state=ClockState.RUNNING, due_at__isnull=False, due_at__lte=horizon)
            .select_related("ticket__team", "ticket__assignee")
            .order_by("due_at", "ticket_id")[:limit])


def calendars() -> QuerySet:
    return Calendar.objects.prefetch_related("hours", "dates").order_by("name")


def sla_definitions() -> QuerySet:
    return (SlaDefinition.objects.select_related("calendar")
            .prefetch_related("targets", "services", "categories", "organisations", "teams", "escalations__team")
            .order_by("type", "order", "name"))
