"""What a clock says, computed from a ticket's history, an agreement and its calendar. Pure functions.

The same inputs always give the same clock: a clock is never advanced by adding to counters, so a
change of priority, service or definition recomputes it from the history and the new target with
the result it would have had if the new target had applied from the start.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from .calendar import BusinessCalendar
from .choices import BREACH, AgreementType, ClockState, Metric
from .history import History, Phase


@dataclass
class ClockValue:
    type: str
    metric: str
    team_id: int | None
    segment: int
    definition_id: int
    target_seconds: int
    state: str
    started_at: datetime
    stopped_at: datetime | None
    running_since: datetime | None
    paused_since: datetime | None
    elapsed_seconds: int  # up to running_since when running, in total otherwise
    paused_seconds: int
    due_at: datetime | None
    breached: bool
    breached_at: datetime | None
    checkpoints: dict[int, datetime] = field(default_factory=dict)  # threshold % → instant reached
    pauses: list[dict] = field(default_factory=list)


@dataclass
class Window:
    """The part of the history one clock looks at (a team's stint for an OLA)."""

    start: datetime
    end: datetime | None  # None: open
    team_id: int | None = None
    segment: int = 0


def counts(phase: Phase, definition) -> bool:
    if not phase.active:
        return False
    if definition.type == AgreementType.UC:
        return phase.token_matches(definition.run_on)
    return not phase.token_matches(definition.pause_on)


def team_stints(history: History) -> list[Window]:
    """Consecutive phases with the same team while the ticket is active: one OLA clock each."""
    stints: list[Window] = []
    per_team: dict[int, int] = {}
    current: Window | None = None
    for phase in history.phases:
        team = phase.team_id if phase.active else None
        if current is not None and current.team_id != team:
            current.end = phase.start
            current = None
        if current is None and team is not None:
            segment = per_team.get(team, 0)
            per_team[team] = segment + 1
            current = Window(start=phase.start, end=None, team_id=team, segment=segment)
            stints.append(current)
    return stints


def compute(history: History, definition, metric: str, target_seconds: int, calendar: BusinessCalendar,
            now: datetime, window: Window, thresholds: list[int]) -> ClockValue | None:
    """The clock of ``metric`` of ``definition`` over ``window``; None when it never started (UC)."""
    start = window.start
    end = window.end
    stop_at = None
    if metric == Metric.RESPONSE:
        stop_at = next((r for r in history.responses if r >= start and (end is None or r <= end)), None)
    last = history.phases[-1] if history.phases else None
    if stop_at is None and last is not None and not last.active and last.start >= start and (end is None):
        stop_at = last.start  # finished (resolved, closed, cancelled) and still so
    if stop_at is None and end is not None:
        stop_at = end  # the team handed the ticket on
    horizon = stop_at or now

    # Counting and pausing intervals inside [start, horizon].
    counting: list[tuple[datetime, datetime | None]] = []
    pauses: list[dict] = []
    paused_seconds = 0
    for phase in history.phases:
        a = max(phase.start, start)
        b = min(phase.end or horizon, horizon)
        if b < a or (b == a and not (phase.end is None and stop_at is None)):
            continue
        if counts(phase, definition):
            open_ended = phase.end is None and stop_at is None
            if counting and counting[-1][1] == a:  # continuous (e.g. team or state change while counting)
                counting[-1] = (counting[-1][0], None if open_ended else b)
            else:
                counting.append((a, None if open_ended else b))
        elif phase.active:
            open_ended = phase.end is None and stop_at is None
            until = None if open_ended else b.isoformat()
            last_pause = pauses[-1] if pauses else None
            # One hold is one pause, even when the ticket changes team (a new phase) while held.
            if last_pause and last_pause["until"] == a.isoformat() and last_pause["state"] == phase.state \
                    and last_pause["reason"] == phase.reason:
                last_pause["until"] = until
            else:
                pauses.append({"from": a.isoformat(), "until": until, "state": phase.state, "reason": phase.reason})
            paused_seconds += int((b - a).total_seconds())
    if definition.type == AgreementType.UC and not counting:
        return None
    started_at = counting[0][0] if definition.type == AgreementType.UC else start

    goals = {p: target_seconds * p // 100 for p in sorted(set(thresholds) | {BREACH})}
    checkpoints: dict[int, datetime] = {}
    elapsed = 0
    running_since = None
    for a, b in counting:
        if b is None:
            running_since = a
            for p, goal in goals.items():
                if p not in checkpoints:
                    checkpoints[p] = calendar.add(a, goal - elapsed) if goal > elapsed else a
            break
        seconds = calendar.seconds_between(a, b)
        for p, goal in goals.items():
            if p not in checkpoints and elapsed < goal <= elapsed + seconds:
                checkpoints[p] = calendar.add(a, goal - elapsed)
        elapsed += seconds

    if stop_at is not None:
        state = ClockState.STOPPED
    elif running_since is not None:
        state = ClockState.RUNNING
    else:
        state = ClockState.PAUSED
    paused_since = None
    if state == ClockState.PAUSED:
        paused_since = pauses[-1]["from"] if pauses and pauses[-1]["until"] is None else None
        paused_since = datetime.fromisoformat(paused_since) if paused_since else (counting[-1][1] if counting
                                                                                    else start)
    breached_at = checkpoints.get(BREACH)
    total = elapsed if running_since is None else elapsed + calendar.seconds_between(running_since, now)
    return ClockValue(
        type=definition.type, metric=metric, team_id=window.team_id, segment=window.segment,
        definition_id=definition.pk, target_seconds=target_seconds, state=state, started_at=started_at,
        stopped_at=stop_at, running_since=running_since, paused_since=paused_since, elapsed_seconds=elapsed,
        paused_seconds=paused_seconds, due_at=checkpoints.get(BREACH) if state == ClockState.RUNNING else None,
        breached=breached_at is not None and (breached_at <= now or total > target_seconds),
        breached_at=breached_at if breached_at is not None and breached_at <= (stop_at or now) else None,
        checkpoints=checkpoints, pauses=pauses,
    )


def elapsed_now(clock, calendar: BusinessCalendar, now: datetime) -> int:
    """Business seconds elapsed on a stored clock at ``now``."""
    if clock.state == ClockState.RUNNING and clock.running_since is not None:
        return clock.elapsed_seconds + calendar.seconds_between(clock.running_since, now)
    return clock.elapsed_seconds
