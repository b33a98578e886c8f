"""The breach scan and the escalation actions it queues (docs/architecture.md, rule 5: timers live in the database).

One tick: claim the clocks whose next check is due (``next_check_at <= now``, a partial index that
holds only clocks with something left to check) with ``FOR UPDATE SKIP LOCKED``, record each
threshold reached once (``UNIQUE (clock, threshold)``, inserted ``ON CONFLICT DO NOTHING``), move
each clock's ``next_check_at`` on, insert one ``EscalationRun`` per rule that fires (unique per
clock and rule) and queue them after commit. A fixed number of statements per tick, whatever the
batch; nothing is kept in Celery but the primary key of a run that the database already holds.

A lost message is re-driven: runs still pending after ``SLA_REDRIVE_AFTER`` seconds are queued
again by the next tick. A run claims its row with ``SKIP LOCKED`` and does its work and marks
itself done in one transaction, so duplicates and crashes leave it done exactly once.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from esm.errors import DomainError
from esm.queueing import enqueue_on_commit
from servicedesk import services as desk
from servicedesk.choices import EventKind
from servicedesk.notifications import notify

from .choices import BREACH, EscalationAction, RunStatus
from .definitions import definitions
from .models import Clock, ClockEvent, EscalationRun
from .tasks import run_escalation

log = logging.getLogger(__name__)

# The e-mails of warnings and breaches, sent through the service desk's outbox (SlaConfig.ready).
SUBJECTS = {
    "sla_warning": gettext_lazy("[%(number)s] %(percent)s%% of the %(metric)s target used: %(title)s"),
    "sla_breach": gettext_lazy("[%(number)s] %(metric)s target breached: %(title)s"),
}


@dataclass
class TickResult:
    claimed: int = 0
    events: int = 0
    runs: int = 0
    redriven: int = 0


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def scan_once(*, now: datetime | None = None, batch: int | None = None) -> TickResult:
    """One claim-record-queue round over at most ``batch`` due clocks, in one transaction."""
    now = now or timezone.now()
    batch = batch or settings.SLA_SCAN_BATCH
    result = TickResult()
    queued: list[int] = []
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, definition_id, checkpoints FROM {_table(Clock)} "  # noqa: S608 - table names only
            "WHERE next_check_at IS NOT NULL AND next_check_at <= %s "
            "ORDER BY next_check_at LIMIT %s FOR UPDATE SKIP LOCKED",
            [now, batch],
        )
        rows = cursor.fetchall()
        result.claimed = len(rows)
        if rows:
            ids = [r[0] for r in rows]
            cursor.execute(f"SELECT clock_id, threshold FROM {_table(ClockEvent)} WHERE clock_id = ANY(%s)",  # noqa: S608
                           [ids])
            recorded: dict[int, set[int]] = {}
            for clock_id, threshold in cursor.fetchall():
                recorded.setdefault(clock_id, set()).add(threshold)
            stamp = int(now.timestamp())
            ev_clock, ev_threshold, ev_due = [], [], []
            up_id, up_next, up_threshold, up_breach = [], [], [], []
            for clock_id, _definition_id, checkpoints in rows:
                if isinstance(checkpoints, str):  # Django hands jsonb to raw cursors as text
                    checkpoints = json.loads(checkpoints)
                done = recorded.get(clock_id, set())
                points = sorted((int(at), int(p)) for p, at in (checkpoints or {}).items() if int(p) not in done)
                next_at = next_p = None
                breach_at = None
                for at, p in points:
                    if at <= stamp:
                        ev_clock.append(clock_id)
                        ev_threshold.append(p)
                        ev_due.append(datetime.fromtimestamp(at, UTC))
                        if p >= BREACH:
                            breach_at = datetime.fromtimestamp(at, UTC)
                    elif next_at is None:
                        next_at, next_p = datetime.fromtimestamp(at, UTC), p
                up_id.append(clock_id)
                up_next.append(next_at)
                up_threshold.append(next_p)
                up_breach.append(breach_at)
            new_events = []
            if ev_clock:
                cursor.execute(
                    f"INSERT INTO {_table(ClockEvent)} (clock_id, threshold, due_at, detected_at) "  # noqa: S608
                    "SELECT c, t, d, %s FROM unnest(%s::bigint[], %s::smallint[], %s::timestamptz[]) AS v(c, t, d) "
                    "ON CONFLICT (clock_id, threshold) DO NOTHING RETURNING id, clock_id, threshold",
                    [now, ev_clock, ev_threshold, ev_due],
                )
                new_events = cursor.fetchall()
                result.events = len(new_events)
            cursor.execute(
                f"UPDATE {_table(Clock)} AS c SET next_check_at = v.n, next_threshold = v.t, "  # noqa: S608
                "breached = c.breached OR v.b IS NOT NULL, breached_at = COALESCE(c.breached_at, v.b) "
                "FROM unnest(%s::bigint[], %s::timestamptz[], %s::smallint[], %s::timestamptz[]) AS v(id, n, t, b) "
                "WHERE c.id = v.id",
                [up_id, up_next, up_threshold, up_breach],
            )
            if new_events:
                defs = definitions()
                definition_of = {r[0]: r[1] for r in rows}
                metric_of = dict(Clock.objects.filter(pk__in={e[1] for e in new_events})
                                 .values_list("id", "metric"))
                run_clock, run_rule, run_event = [], [], []
                for event_id, clock_id, threshold in new_events:
                    loaded = defs.by_id.get(definition_of[clock_id])
                    for rule in loaded.rules if loaded else []:
                        if rule.threshold == threshold and rule.metric in ("", metric_of.get(clock_id)):
                            run_clock.append(clock_id)
                            run_rule.append(rule.pk)
                            run_event.append(event_id)
                if run_clock:
                    cursor.execute(
                        f"INSERT INTO {_table(EscalationRun)} (clock_id, rule_id, event_id, status, queued_at, "  # noqa: S608
                        "attempts, result) SELECT c, r, e, 'pending', %s, 0, '' "
                        "FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[]) AS v(c, r, e) "
                        "ON CONFLICT (clock_id, rule_id) DO NOTHING RETURNING id",
                        [now, run_clock, run_rule, run_event],
                    )
                    queued += [r[0] for r in cursor.fetchall()]
                    result.runs = len(queued)
        # Runs whose message was lost (Redis restarted, worker killed): queue them again.
        cursor.execute(
            f"UPDATE {_table(EscalationRun)} SET queued_at = %s WHERE id IN ("  # noqa: S608
            f"SELECT id FROM {_table(EscalationRun)} WHERE status = 'pending' AND queued_at <= %s "
            "ORDER BY queued_at LIMIT %s FOR UPDATE SKIP LOCKED) RETURNING id",
            [now, now - timedelta(seconds=settings.SLA_REDRIVE_AFTER), batch],
        )
        redriven = [r[0] for r in cursor.fetchall()]
        result.redriven = len(redriven)
        queued += redriven
        if queued:
            for pk in queued:
                enqueue_on_commit(run_escalation, pk)
    return result


def scan(*, now: datetime | None = None, batch: int | None = None, budget: float | None = None) -> TickResult:
    """Rounds of ``scan_once`` until no due clock is left or the time budget is spent (one beat tick)."""
    budget = settings.SLA_SCAN_BUDGET if budget is None else budget
    started = time.monotonic()
    total = TickResult()
    batch = batch or settings.SLA_SCAN_BATCH
    while True:
        one = scan_once(now=now, batch=batch)
        total.claimed += one.claimed
        total.events += one.events
        total.runs += one.runs
        total.redriven += one.redriven
        if one.claimed < batch or time.monotonic() - started > budget:
            return total


# --- Escalation actions ---------------------------------------------------------------------


def _perform(run: EscalationRun) -> str:
    rule, clock = run.rule, run.clock
    ticket = desk.ticket_lock(ticket=clock.ticket, expected_version=None)
    threshold = run.event.threshold
    action = rule.action
    if action in (EscalationAction.NOTIFY_ASSIGNEE, EscalationAction.NOTIFY_TEAM_LEAD,
                  EscalationAction.NOTIFY_SERVICE_OWNER):
        if action == EscalationAction.NOTIFY_ASSIGNEE:
            person = ticket.assignee
        elif action == EscalationAction.NOTIFY_TEAM_LEAD:
            team = clock.team or ticket.team
            person = team.lead if team else None
        else:
            person = ticket.service.owner if ticket.service_id else None
        if person is None:
            return "skipped: nobody to notify"
        sent = notify(ticket=ticket, recipients=[person], reason="sla_breach" if threshold >= BREACH else "sla_warning",
                      context={"clock": clock, "threshold": threshold, "percent": threshold,
                               "definition": clock.definition.name,
                               "metric": lambda: str(clock.get_metric_display()).lower()})
        desk.timeline_record(ticket=ticket, actor=None, kind=EventKind.NOTIFIED, reason=action,
                             sla=clock.definition.name, metric=clock.metric, threshold=threshold,
                             to=person.display_name)
        return f"notified {person.username}" if sent else "skipped: no e-mail address"
    if not ticket.active:
        return "skipped: ticket no longer open"
    if action == EscalationAction.REASSIGN_TEAM:
        changed = desk.ticket_assign(ticket=ticket, actor=None, team=rule.team, assignee=None,
                                     kind=EventKind.ESCALATED, note_code="sla_reassigned",
                                     note_params={"sla": clock.definition.name, "percent": threshold})
        return f"reassigned to {rule.team.name}" if changed else "skipped: already with that team"
    if action == EscalationAction.RAISE_PRIORITY:
        if ticket.priority <= 1:
            return "skipped: already P1"
        old = ticket.priority
        desk.ticket_update_fields(ticket=ticket, actor=None, changes={"priority": old - 1})
        return f"priority P{old} → P{old - 1}"
    return "skipped: unknown action"


def escalation_run(*, run_id: int) -> str | None:
    """Do one escalation once: claim the pending row, act, mark it done — all in one transaction."""
    with transaction.atomic():
        run = (EscalationRun.objects.select_for_update(skip_locked=True, of=("self",))
               .select_related("rule__team", "clock__definition", "clock__team__lead", "clock__ticket", "event")
               .filter(pk=run_id, status=RunStatus.PENDING).first())
        if run is None:
            return None  # done already, or another worker holds it
        run.attempts += 1
        try:
            with transaction.atomic():
                result = _perform(run)
        except (DomainError, ValidationError) as exc:
            result = f"skipped: {exc}"
        run.status = RunStatus.SKIPPED if result.startswith("skipped") else RunStatus.DONE
        run.result = result[:300]
        run.done_at = timezone.now()
        run.save(update_fields=["status", "result", "done_at", "attempts"])
        return result
