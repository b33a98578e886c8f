"""Exact business-time arithmetic over a precomputed calendar.

A calendar is expanded once into its open intervals in UTC (epoch seconds), merged and sorted, with
the cumulative open time before each interval. Then

- ``seconds_between(a, b)`` is ``F(b) - F(a)`` where ``F(t)`` (open seconds up to ``t``) is one bisect;
- ``add(t, s)`` finds the instant where ``F`` reaches ``F(t) + s``: one more bisect.

No per-request loop over days: the expansion is done per calendar and cached by its ``updated_at``.
Local wall times become UTC through ``zoneinfo``, so days of 23 or 25 hours around daylight-saving
changes are counted as they are. The window grows by whole years when an instant falls outside it.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_lib

WINDOW_YEARS_BEFORE = 3
WINDOW_YEARS_AFTER = 2
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Spec:
    """A calendar as plain data (so it can be built from a model, a test or the benchmark)."""

    time_zone: str = "UTC"
    # (weekday 0=Monday, start, end): end <= start runs past midnight; end == start is 24 hours.
    hours: tuple[tuple[int, time, time], ...] = ()
    holiday_country: str = ""
    holiday_subdivision: str = ""
    closed: frozenset[date] = frozenset()
    extra: tuple[tuple[date, time, time], ...] = ()

    @property
    def always_open(self) -> bool:
        days = {w for w, s, e in self.hours if s == e}
        return days == set(range(7)) and not self.holiday_country and not self.closed


def _span(day: date, start: time, end: time, zone: ZoneInfo) -> tuple[int, int]:
    end_day = day if end > start else day + DAY
    a = datetime.combine(day, start, tzinfo=zone)
    b = datetime.combine(end_day, end, tzinfo=zone)
    return int(a.timestamp()), int(b.timestamp())


@dataclass
class BusinessCalendar:
    spec: Spec
    first_year: int = 0
    last_year: int = -1
    # (starts, ends, cum, cum_end): interval bounds, open seconds before and up to the end of each.
    # Replaced as one tuple, so a reader in another thread never sees half a rebuild.
    arrays: tuple[list[int], list[int], list[int], list[int]] = ([], [], [], [])
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # --- building -------------------------------------------------------------------------

    def _build(self, first_year: int, last_year: int) -> None:
        spec = self.spec
        zone = ZoneInfo(spec.time_zone)
        by_weekday: dict[int, list[tuple[time, time]]] = {}
        for weekday, start, end in spec.hours:
            by_weekday.setdefault(weekday, []).append((start, end))
        public = set()
        if spec.holiday_country:
            public = set(holidays_lib.country_holidays(
                spec.holiday_country, subdiv=spec.holiday_subdivision or None,
                years=range(first_year - 1, last_year + 2)).keys())
        extra: dict[date, list[tuple[time, time]]] = {}
        for day, start, end in spec.extra:
            extra.setdefault(day, []).append((start, end))

        spans: list[tuple[int, int]] = []
        day = date(first_year, 1, 1) - DAY  # a shift starting on 31 December runs into the window
        last = date(last_year, 12, 31)
        while day <= last:
            if day in extra:
                shifts = extra[day]
            elif day in public or day in spec.closed:
                shifts = []
            else:
                shifts = by_weekday.get(day.weekday(), [])
            for start, end in shifts:
                spans.append(_span(day, start, end, zone))
            day += DAY
        spans.sort()
        starts, ends = [], []
        for a, b in spans:
            if b <= a:
                continue
            if starts and a <= ends[-1]:  # overlapping or touching: merge (24×7 becomes one interval)
                ends[-1] = max(ends[-1], b)
            else:
                starts.append(a)
                ends.append(b)
        cum, cum_end, total = [], [], 0
        for a, b in zip(starts, ends, strict=True):
            cum.append(total)
            total += b - a
            cum_end.append(total)
        self.arrays = (starts, ends, cum, cum_end)
        self.first_year, self.last_year = first_year, last_year

    def _window(self) -> tuple[int, int]:
        lo = int(datetime(self.first_year, 1, 1, tzinfo=UTC).timestamp()) + 2 * 86400
        hi = int(datetime(self.last_year, 12, 31, tzinfo=UTC).timestamp()) - 2 * 86400
        return lo, hi

    def _ensure(self, ts: int) -> None:
        if self.last_year >= self.first_year:
            lo, hi = self._window()
            if lo <= ts <= hi:
                return
        with self.lock:
            year = datetime.fromtimestamp(ts, UTC).year
            if self.last_year < self.first_year:
                now = datetime.now(UTC).year
                first, last = min(now, year) - WINDOW_YEARS_BEFORE, max(now, year) + WINDOW_YEARS_AFTER
            else:
                first, last = min(self.first_year, year - 1), max(self.last_year, year + 1)
            self._build(first, last)

    # --- arithmetic -----------------------------------------------------------------------

    def _open_until(self, ts: int, arrays=None) -> int:
        """F(ts): open seconds from the window's start up to ``ts``."""
        starts, ends, cum, _cum_end = arrays or self.arrays
        i = bisect_right(starts, ts) - 1
        if i < 0:
            return 0
        return cum[i] + min(ts, ends[i]) - starts[i]

    def seconds_between(self, a: datetime, b: datetime) -> int:
        """Business seconds in [a, b) (0 when b <= a)."""
        ta, tb = int(a.timestamp()), int(b.timestamp())
        if tb <= ta:
            return 0
        if self.spec.always_open:
            return tb - ta
        self._ensure(ta)
        self._ensure(tb)
        arrays = self.arrays
        return self._open_until(tb, arrays) - self._open_until(ta, arrays)

    def add(self, start: datetime, seconds: int) -> datetime:
        """The instant when ``seconds`` of business time have passed since ``start``."""
        seconds = int(seconds)
        ts = int(start.timestamp())
        if seconds <= 0:
            return datetime.fromtimestamp(ts, UTC)
        if self.spec.always_open:
            return datetime.fromtimestamp(ts + seconds, UTC)
        self._ensure(ts)
        if not self.arrays[3]:
            raise ValueError("This calendar has no working time.")
        arrays = self.arrays
        goal = self._open_until(ts, arrays) + seconds
        grown = 0
        while goal > arrays[3][-1]:  # beyond the window: grow it by years
            grown += 1
            if grown > 50:
                raise ValueError("This calendar has no working time ahead.")
            self._ensure(int(datetime(self.last_year + 1, 6, 1, tzinfo=UTC).timestamp()))
            arrays = self.arrays
            goal = self._open_until(ts, arrays) + seconds
        starts, _ends, cum, cum_end = arrays
        j = bisect_left(cum_end, goal)
        return datetime.fromtimestamp(starts[j] + goal - cum[j], UTC)

    def is_open(self, at: datetime) -> bool:
        if self.spec.always_open:
            return True
        ts = int(at.timestamp())
        self._ensure(ts)
        starts, ends, _cum, _cum_end = self.arrays
        i = bisect_right(starts, ts) - 1
        return i >= 0 and ts < ends[i]


# --- cache of built calendars, per process ----------------------------------------------------

_CACHE: dict[int, tuple[object, BusinessCalendar]] = {}
_CACHE_LOCK = threading.Lock()


def spec_of(calendar) -> Spec:
    """The Spec of a ``sla.models.Calendar`` (hours and dates prefetched or queried)."""
    from .choices import DateKind

    hours = tuple((h.weekday, h.start, h.end) for h in calendar.hours.all())
    dates = list(calendar.dates.all())
    return Spec(
        time_zone=calendar.time_zone or "UTC",
        hours=hours,
        holiday_country=calendar.holiday_country,
        holiday_subdivision=calendar.holiday_subdivision,
        closed=frozenset(d.date for d in dates if d.kind == DateKind.CLOSED),
        extra=tuple((d.date, d.start, d.end) for d in dates if d.kind == DateKind.OPEN),
    )


def business_calendar(calendar) -> BusinessCalendar:
    """The built calendar for a model instance; rebuilt when the calendar's ``updated_at`` moves."""
    stamp = (calendar.updated_at, calendar.time_zone, calendar.holiday_country, calendar.holiday_subdivision)
    cached = _CACHE.get(calendar.pk)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    built = BusinessCalendar(spec_of(calendar))
    with _CACHE_LOCK:
        _CACHE[calendar.pk] = (stamp, built)
    return built


def clear_cache() -> None:
    with _CACHE_LOCK:
        _CACHE.clear()
