"""Calendars in words: weekly hours in one line ("Mon–Fri 09:00–17:00", "24×7")."""

from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _


def interval_label(start, end) -> str:
    if start == end:
        return _("24 hours")
    text = f"{start:%H:%M}–{end:%H:%M}"
    return text if end > start else _("%(hours)s (next day)") % {"hours": text}


def _day_range(first: int, last: int) -> str:
    if first == last:
        return str(WEEKDAYS_ABBR[first])
    return f"{WEEKDAYS_ABBR[first]}–{WEEKDAYS_ABBR[last]}"


def hours_summary(hours) -> str:
    """``CalendarHours`` rows (or (weekday, start, end) tuples) as one line; consecutive days with
    the same hours are joined. Seven full days read "24×7"; no hours at all read "no working hours"."""
    by_day: dict[int, list[tuple]] = {}
    for h in hours:
        weekday, start, end = (h.weekday, h.start, h.end) if hasattr(h, "weekday") else h
        by_day.setdefault(weekday, []).append((start, end))
    if not by_day:
        return _("no working hours")
    if len(by_day) == 7 and all(any(s == e for s, e in spans) for spans in by_day.values()):
        return _("24×7")
    # Consecutive weekdays with the same hours form one group.
    groups: list[tuple[int, int, tuple]] = []
    for day in sorted(by_day):
        spans = tuple(sorted(by_day[day]))
        if groups and groups[-1][1] == day - 1 and groups[-1][2] == spans:
            groups[-1] = (groups[-1][0], day, spans)
        else:
            groups.append((day, day, spans))
    return "; ".join(f"{_day_range(first, last)} {', '.join(interval_label(s, e) for s, e in spans)}"
                     for first, last, spans in groups)
