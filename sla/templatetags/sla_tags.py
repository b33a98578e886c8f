"""Template helpers for SLA pages: business durations, time left and calendars people can read."""

from django import template

from esm import durations

from ..formatting import hours_summary, interval_label

register = template.Library()


@register.filter
def business_duration(seconds) -> str:
    """3725 → "1 h 2 min" (the sign is dropped: templates say "overdue by" or "left")."""
    return durations.human_duration(seconds)


@register.filter
def time_left(view) -> str:
    """A ``ClockView``'s time left: "8 h 5 min left" or "overdue by 8 h"."""
    return durations.time_left(view.remaining, view.clock.breached)


@register.filter
def calendar_hours(calendar) -> str:
    """Weekly hours in one line: "Mon–Fri 09:00–17:00", "24×7" (hours prefetched, else from the
    calendar built once per process: a clock's panel does not read them again)."""
    if "hours" in getattr(calendar, "_prefetched_objects_cache", {}):
        return hours_summary(calendar.hours.all())
    from ..calendar import business_calendar

    return hours_summary(business_calendar(calendar).spec.hours)


@register.filter
def hours_interval(hours) -> str:
    """One ``CalendarHours`` row's times: "09:00–17:00", "24 hours", "22:00–06:00 (next day)"."""
    return interval_label(hours.start, hours.end)


@register.filter
def pause_list(pauses) -> list:
    """Stored pauses with parsed instants, newest first."""
    from datetime import datetime

    out = []
    for p in pauses or []:
        out.append({"from": datetime.fromisoformat(p["from"]),
                    "until": datetime.fromisoformat(p["until"]) if p.get("until") else None,
                    "state": p.get("state", ""), "reason": p.get("reason", "")})
    return list(reversed(out))


@register.filter
def metric_label(value) -> str:
    """"response" → "Response" (translated)."""
    from ..choices import Metric

    return str(dict(Metric.choices).get(value, value))
