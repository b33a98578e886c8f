"""Every write of the SLA app: clocks recomputed from history, definitions and calendars edited by
service level managers, escalation actions. Atomic, keyword-only, explicit actor (docs/architecture.md, rule 1).

The breach scan lives in ``sla.scan``; it only reads what ``clocks_recompute`` stored.
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from esm.errors import NotPermitted, StaleVersion
from esm.queueing import enqueue_on_commit
from esm.services import service
from servicedesk.models import Ticket

from .choices import BREACH, AgreementType, ClockState, DateKind, EscalationAction, Metric
from .clocks import ClockValue, Window, compute, team_stints
from .definitions import DefinitionSet, Loaded, definitions
from .history import build_history, entries_for
from .models import Calendar, Clock, ClockEvent, EscalationRule, Recomputation, SlaDefinition, SlaTarget
from .tasks import recompute_definition

log = logging.getLogger(__name__)

MANAGE_SLA = "sla.manage_sla"


def can_manage_sla(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(MANAGE_SLA))


def require_manager(actor) -> None:
    if not can_manage_sla(actor):
        raise NotPermitted(_("Only service level managers can change service levels."))


# --- Clocks from history --------------------------------------------------------------------


def _epoch(value: datetime) -> int:
    return int(value.timestamp())


def _from_epoch(value: int) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def expected_clocks(ticket, history, defs: DefinitionSet, now: datetime) -> list[tuple[Loaded, ClockValue]]:
    out = []
    whole = Window(start=history.opened_at, end=None)
    for type_ in (AgreementType.SLA, AgreementType.UC):
        loaded = defs.first(type_, ticket)
        if loaded is None:
            continue
        for metric, seconds in sorted(loaded.targets.items()):
            value = compute(history, loaded.obj, metric, seconds, loaded.calendar, now, whole, loaded.thresholds)
            if value is not None:
                out.append((loaded, value))
    if defs.by_type.get(AgreementType.OLA):
        for stint in team_stints(history):
            loaded = defs.first(AgreementType.OLA, ticket, stint.team_id)
            if loaded is None:
                continue
            for metric, seconds in sorted(loaded.targets.items()):
                value = compute(history, loaded.obj, metric, seconds, loaded.calendar, now, stint, loaded.thresholds)
                if value is not None:
                    out.append((loaded, value))
    return out


def _next_check(value: ClockValue, recorded: set[int], now: datetime) -> tuple[datetime | None, int | None]:
    """The next threshold the scan must record: future ones only while running, past ones always."""
    if value.state == ClockState.STOPPED:
        return None, None
    pending = sorted((at, p) for p, at in value.checkpoints.items() if p not in recorded
                     and (value.state == ClockState.RUNNING or at <= now))
    if not pending:
        return None, None
    return pending[0]


def clocks_recompute(*, ticket_id: int, now: datetime | None = None, force: bool = False, reason: str = "",
                     actor: User | None = None, only_if_dirty: bool = False) -> list[Clock]:
    """Derive every clock of a ticket from its history and the definitions that match it now.

    Cheap when nothing changed (the history mark matches). A clock whose agreement or target
    changes is a re-target, recorded as a ``Recomputation`` with the before and after values.
    Clears the ticket's "clocks dirty" mark; with ``only_if_dirty`` (lifecycle signals, the sweep)
    a ticket without the mark is left alone after one query, so the signals of one change
    recompute once. The ticket row is locked (``FOR NO KEY UPDATE``), so recomputes of one ticket
    queue behind each other and the history read is never older than the mark cleared.
    """
    now = now or timezone.now()
    with transaction.atomic():
        ticket = (Ticket.objects.select_for_update(of=("self",), no_key=True).select_related("category")
                  .filter(pk=ticket_id).first())
        if ticket is None or (only_if_dirty and ticket.sla_dirty_since is None):
            return []
        derived.count += 1
        defs = definitions()
        existing = {(c.type, c.metric, c.team_id, c.segment): c
                    for c in Clock.objects.select_for_update().filter(ticket_id=ticket_id)}
        entries = entries_for([ticket_id])[ticket_id]
        max_id = max((e[0] for e in entries), default=0)
        mark = f"{max_id}:{ticket.version}:{defs.key}"
        if (not force and existing and all(c.history_mark == mark for c in existing.values())) or (
                not existing and not any(defs.by_type.values())):
            if ticket.sla_dirty_since is not None:
                Ticket.objects.filter(pk=ticket_id).update(sla_dirty_since=None)
            return list(existing.values())
        history = build_history(ticket, entries, max_id=max_id)
        values = expected_clocks(ticket, history, defs, now)
        recorded: dict[int, set[int]] = {}
        if existing:
            for clock_id, threshold in ClockEvent.objects.filter(
                    clock_id__in=[c.pk for c in existing.values()]).values_list("clock_id", "threshold"):
                recorded.setdefault(clock_id, set()).add(threshold)

        changes = []
        kept: list[Clock] = []
        for _loaded, value in values:
            key = (value.type, value.metric, value.team_id, value.segment)
            clock = existing.pop(key, None)
            before = None
            if clock is not None and (clock.definition_id != value.definition_id
                                      or clock.target_seconds != value.target_seconds):
                before = {"definition": clock.definition_id, "target": clock.target_seconds,
                          "due_at": clock.due_at.isoformat() if clock.due_at else None}
            clock = clock or Clock(ticket_id=ticket_id, type=value.type, metric=value.metric, team_id=value.team_id,
                                   segment=value.segment)
            next_at, next_p = _next_check(value, recorded.get(clock.pk, set()) if clock.pk else set(), now)
            for name in ("definition_id", "target_seconds", "state", "started_at", "stopped_at", "running_since",
                         "paused_since", "elapsed_seconds", "paused_seconds", "due_at", "breached", "breached_at",
                         "pauses"):
                setattr(clock, name, getattr(value, name))
            clock.checkpoints = {str(p): _epoch(at) for p, at in value.checkpoints.items()}
            clock.next_check_at, clock.next_threshold = next_at, next_p
            clock.history_mark = mark
            clock.computed_at = now
            clock.save()
            kept.append(clock)
            if before is not None:
                changes.append({"clock": clock.pk, "metric": clock.metric, "type": clock.type, "before": before,
                                "after": {"definition": clock.definition_id, "target": clock.target_seconds,
                                          "due_at": clock.due_at.isoformat() if clock.due_at else None}})
        # Clocks no agreement asks for any more: gone, unless something was recorded on them.
        for clock in existing.values():
            if recorded.get(clock.pk):
                clock.state, clock.stopped_at = ClockState.STOPPED, clock.stopped_at or now
                clock.next_check_at = clock.next_threshold = clock.due_at = None
                clock.history_mark = mark
                clock.save()
                kept.append(clock)
            else:
                changes.append({"clock": clock.pk, "metric": clock.metric, "type": clock.type,
                                "before": {"definition": clock.definition_id, "target": clock.target_seconds},
                                "after": None})
                clock.delete()
        if changes:
            Recomputation.objects.create(ticket_id=ticket_id, reason=(reason or "retarget")[:60], actor=actor,
                                         at=now, clocks=len(kept), changes=changes)
        # The queue sorts and filters on the nearest running due time, kept on the ticket row
        # (indexed there; servicedesk cannot join the clocks it does not know about).
        nearest = min((c.due_at for c in kept if c.state == ClockState.RUNNING and c.due_at), default=None)
        if ticket.sla_due_at != nearest or ticket.sla_dirty_since is not None:
            Ticket.objects.filter(pk=ticket_id).update(sla_due_at=nearest, sla_dirty_since=None)
        return kept


class _Counter(threading.local):
    count = 0


# How many times clocks were derived in this thread (the recompute passed the dirty check); tests
# read it to show that one business change recomputes once.
derived = _Counter()


def clocks_sweep_dirty(*, older_than: float | None = None, batch: int = 200, now: datetime | None = None) -> int:
    """Recompute tickets whose "clocks dirty" mark is older than ``older_than`` seconds (beat).

    The after-commit recompute normally clears the mark within milliseconds; one still there was
    left by a process that died between its commit and the recompute, or by a failed recompute.
    """
    older_than = settings.SLA_DIRTY_SWEEP_AFTER if older_than is None else older_than
    now = now or timezone.now()
    ids = list(Ticket.objects.filter(sla_dirty_since__lt=now - timedelta(seconds=older_than))
               .order_by("sla_dirty_since").values_list("id", flat=True)[:batch])
    for pk in ids:
        recompute_after_change(pk, "swept", now=now)
    return len(ids)


def clocks_rebuild(*, ticket_ids=None, reason: str = "rebuild", actor: User | None = None, batch: int = 500,
                   force: bool = True) -> int:
    """Recompute the clocks of many tickets (all open ones and those that have running clocks by default)."""
    if ticket_ids is None:
        open_ids = Ticket.objects.filter(active=True).values_list("id", flat=True)
        clocked = Clock.objects.exclude(state=ClockState.STOPPED).values_list("ticket_id", flat=True)
        ticket_ids = sorted(set(open_ids) | set(clocked))
    done = 0
    for pk in ticket_ids:
        clocks_recompute(ticket_id=pk, force=force, reason=reason, actor=actor)
        done += 1
    return done


def recompute_after_change(ticket_id: int, reason: str, now: datetime | None = None) -> None:
    """Signal handlers' entry point (after commit): never let a clock problem break the request."""
    try:
        clocks_recompute(ticket_id=ticket_id, reason=reason, only_if_dirty=True, now=now)
    except Exception:  # the scan keeps working on the last stored values; the rebuild command repairs
        log.exception("SLA clocks of ticket %s could not be recomputed", ticket_id)


# --- Definitions and calendars (service level managers) -------------------------------------

DEFINITION_FIELDS = {"name", "type", "order", "active", "description", "calendar", "kinds", "priorities",
                     "pause_on", "run_on", "warn_at"}
DEFINITION_M2M = {"services", "categories", "organisations", "teams"}


def _queue_definition_recompute(definition: SlaDefinition, actor: User | None) -> None:
    enqueue_on_commit(recompute_definition, definition.pk, getattr(actor, "pk", None))


def version_stamp(obj) -> str:
    """Definitions and calendars carry no version column: their ``updated_at`` (to the microsecond,
    moved by every save) is the stamp a page sends back for optimistic locking."""
    return obj.updated_at.isoformat() if obj is not None and obj.updated_at else ""


def _check_stamp(model, obj, expected_version: str | None):
    """Lock the row and refuse the write when it changed since the page was read."""
    if obj is None or obj.pk is None:
        return obj
    locked = model.objects.select_for_update().get(pk=obj.pk)
    if expected_version is not None and version_stamp(locked) != expected_version:
        raise StaleVersion(current_version=version_stamp(locked))
    return locked


ESCALATION_FIELDS = {"id", "metric", "threshold", "action", "team", "active"}


def _save_escalations(definition: SlaDefinition, rules: list[dict]) -> None:
    """Change the listed rules (by ``id``) and add new ones. Rules are never deleted here, because the
    runs they caused refer to them: switch one off with ``active``."""
    existing = {r.pk: r for r in definition.escalations.all()}
    errors = {}
    cleaned = []
    for index, item in enumerate(rules):
        unknown = set(item) - ESCALATION_FIELDS
        rule = existing.get(item.get("id")) if item.get("id") else EscalationRule(definition=definition)
        if unknown or rule is None:
            errors[f"escalations.{index}"] = _("Unknown escalation rule.")
            continue
        for name in ("metric", "threshold", "action", "team", "active"):
            if name in item:
                setattr(rule, name, item[name])
        rule.metric = rule.metric or ""
        if rule.metric and rule.metric not in Metric.values:
            errors[f"escalations.{index}.metric"] = _("Unknown metric.")
        if not isinstance(rule.threshold, int) or not 1 <= rule.threshold <= BREACH:
            errors[f"escalations.{index}.threshold"] = _("Escalate at 1 to 100 percent of the target.")
        if rule.action not in EscalationAction.values:
            errors[f"escalations.{index}.action"] = _("Choose an action.")
        elif rule.action == EscalationAction.REASSIGN_TEAM and rule.team is None:
            errors[f"escalations.{index}.team"] = _("Reassigning needs the team to reassign to.")
        cleaned.append(rule)
    if errors:
        raise ValidationError(errors)
    for rule in cleaned:
        rule.save()


@service
def definition_save(*, actor: User, definition: SlaDefinition | None = None, targets: dict[str, int] | None = None,
                    escalations: list[dict] | None = None, expected_version: str | None = None,
                    **fields) -> SlaDefinition:
    """Create or change an SLA definition; affected clocks are recomputed from history afterwards.

    ``expected_version`` (the ``version_stamp`` the page read) refuses a stale save with ``StaleVersion``.
    """
    require_manager(actor)
    unknown = set(fields) - DEFINITION_FIELDS - DEFINITION_M2M
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    definition = _check_stamp(SlaDefinition, definition, expected_version) or SlaDefinition()
    for name, value in fields.items():
        if name not in DEFINITION_M2M:
            setattr(definition, name, value)
    definition.full_clean(exclude=["calendar"] if definition.calendar_id else None)
    definition.save()
    for name in DEFINITION_M2M & set(fields):
        getattr(definition, name).set(fields[name])
    if targets is not None:
        errors = {m: _("Targets are positive numbers of seconds.") for m, s in targets.items()
                  if m not in Metric.values or not isinstance(s, int) or s <= 0 or s > 10 * 365 * 86400}
        if errors:
            raise ValidationError(errors)
        definition.targets.exclude(metric__in=list(targets)).delete()
        for metric, seconds in targets.items():
            SlaTarget.objects.update_or_create(definition=definition, metric=metric, defaults={"seconds": seconds})
    if escalations is not None:
        _save_escalations(definition, escalations)
    _queue_definition_recompute(definition, actor)
    return definition


def _check_hours(hours: list[tuple]) -> None:
    errors = {}
    seen = set()
    for index, (weekday, start, end) in enumerate(hours):
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            errors[f"hours.{index}.weekday"] = _("Choose a weekday.")
        elif start is None or end is None:
            errors[f"hours.{index}"] = _("Give both the start and the end.")
        elif (weekday, start) in seen:
            errors[f"hours.{index}"] = _("This weekday already has hours starting then.")
        seen.add((weekday, start))
    if errors:
        raise ValidationError(errors)


def _check_dates(dates: list[dict]) -> None:
    errors = {}
    seen = set()
    for index, item in enumerate(dates):
        kind = item.get("kind", DateKind.CLOSED)
        key = (item.get("date"), kind, item.get("start"))
        if item.get("date") is None:
            errors[f"dates.{index}.date"] = _("Give the date.")
        elif kind not in DateKind.values:
            errors[f"dates.{index}.kind"] = _("Unknown kind of date.")
        elif kind == DateKind.OPEN and (item.get("start") is None or item.get("end") is None):
            errors[f"dates.{index}"] = _("An extra working day needs its hours.")
        elif key in seen:
            errors[f"dates.{index}"] = _("This date is listed twice.")
        seen.add(key)
    if errors:
        raise ValidationError(errors)


@service
def calendar_save(*, actor: User, calendar: Calendar | None = None, hours: list[tuple] | None = None,
                  dates: list[dict] | None = None, expected_version: str | None = None, **fields) -> Calendar:
    """Create or change a calendar with its weekly hours and dates; clocks on it are recomputed."""
    require_manager(actor)
    if hours is not None:
        _check_hours(hours)
    if dates is not None:
        _check_dates(dates)
    calendar = _check_stamp(Calendar, calendar, expected_version) or Calendar()
    for name in ("name", "time_zone", "holiday_country", "holiday_subdivision", "description"):
        if name in fields:
            setattr(calendar, name, fields[name])
    calendar.full_clean()
    calendar.save()
    if hours is not None:
        calendar.hours.all().delete()
        calendar.hours.bulk_create([calendar.hours.model(calendar=calendar, weekday=w, start=s, end=e)
                                    for w, s, e in hours])
    if dates is not None:
        calendar.dates.all().delete()
        calendar.dates.bulk_create([calendar.dates.model(calendar=calendar, **d) for d in dates])
    for definition in calendar.definitions.all():
        _queue_definition_recompute(definition, actor)
    return calendar


def definition_recompute(*, definition_id: int, actor_id: int | None = None, batch: int = 500) -> int:
    """Recompute every open ticket (a changed definition may now match tickets it did not before)."""
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    definition = SlaDefinition.objects.filter(pk=definition_id).first()
    reason = f"definition {definition.name if definition else definition_id} changed"[:60]
    return clocks_rebuild(reason=reason, actor=actor, batch=batch, force=False)


# --- Escalation actions ---------------------------------------------------------------------


def clock_label(clock: Clock) -> str:
    return f"{clock.definition.name} — {clock.get_metric_display()}"
