"""Reads shared by the API, the console pages and the extension panels: clocks as people see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from accounts.models import Team
from esm.batch import read_prepared
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


CLOCK_ORDER = ("ticket_id", "type", "metric", "team_id", "segment")
_PANEL_MODELS = ((Clock, ""), (SlaDefinition, "definition__"), (Calendar, "definition__calendar__"), (Team, "team__"))


def _clock_reads(ids: dict) -> dict:
    columns = [prefix + f.attname for model, prefix in _PANEL_MODELS for f in model._meta.concrete_fields]
    return {"clocks": Clock.objects.filter(RawSQL('"sla_clock"."ticket_id" = ANY(%s)', (ids["tickets"],),
                                                  output_field=BooleanField()))
            .order_by(*CLOCK_ORDER).values_list(*columns)}


def clocks_of_tickets(ticket_ids: list[int]) -> list[Clock]:
    """The clocks of the tickets with definition, calendar and team, from one prepared statement
    (a ticket page, a detail, a queue page of 50 rows)."""
    clocks = []
    rows = read_prepared(("sla-clocks",), _clock_reads, {"tickets": [int(pk) for pk in ticket_ids]})["clocks"]
    for values in rows:
        built, offset = [], 0
        for model, _prefix in _PANEL_MODELS:
            names = [f.attname for f in model._meta.concrete_fields]
            part = values[offset:offset + len(names)]
            offset += len(names)
            built.append(model.from_db("default", names, part) if part[0] is not None else None)
        clock, definition, calendar, team = built
        definition._state.fields_cache["calendar"] = calendar
        clock._state.fields_cache["definition"] = definition
        clock._state.fields_cache["team"] = team
        clocks.append(clock)
    return clocks


def clocks_for_tickets(ticket_ids: list[int], now: datetime | None = None) -> dict[int, list[ClockView]]:
    now = now or timezone.now()
    out: dict[int, list[ClockView]] = {pk: [] for pk in ticket_ids}
    if not out:
        return out
    for clock in clocks_of_tickets(list(out)):
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
