"""Service levels: business calendars, agreements (SLA, OLA, UC) with targets and escalation rules,
the clocks they put on tickets, and what the breach scan records.

A clock's counters are never added to as time goes by: ``sla.clocks`` derives them from the
ticket's recorded history whenever something changes, and stores the result with the wall-clock
instants the scan needs (``due_at``, ``next_check_at``) in indexed columns (docs/architecture.md, rule 5).
"""

import re

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, Team, validate_time_zone
from cmdb.models import ConfigurationItem
from esm.models import TimestampedModel
from servicedesk.choices import TicketKind
from servicedesk.models import Category, Ticket

from .choices import (
    BREACH,
    DEFAULT_WARNINGS,
    WEEKDAYS,
    AgreementType,
    ClockState,
    DateKind,
    EscalationAction,
    Metric,
    RunStatus,
)

# "on_hold" (any reason) or "on_hold:awaiting_caller" (one reason).
CONDITION_RE = re.compile(r"^[a-z_]{1,30}(:[a-z_]{1,30})?$")


def validate_conditions(values):
    bad = [v for v in values or [] if not CONDITION_RE.match(v)]
    if bad:
        raise ValidationError(_("Write states as state or state:reason, e.g. on_hold:awaiting_caller (got %(bad)s).")
                              % {"bad": ", ".join(bad)})


def validate_thresholds(values):
    if any(not 1 <= v < BREACH for v in values or []):
        raise ValidationError(_("Warning thresholds are percentages between 1 and 99."))


def default_pause_on():
    return ["on_hold:awaiting_caller"]


def default_warnings():
    return list(DEFAULT_WARNINGS)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Calendar(TimestampedModel):
    """Working time in a time zone: weekly hours, public holidays, closed dates and extra working days.

    A shift belongs to the day it starts on: an evening shift 22:00–06:00 on a Friday runs into
    Saturday, and a holiday on Friday removes that whole shift.
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    holiday_country = models.CharField(_("public holidays of (country code)"), max_length=3, blank=True,
                                       help_text=_("ISO code understood by the holidays package, e.g. KR, US, GB."))
    holiday_subdivision = models.CharField(_("subdivision"), max_length=10, blank=True,
                                           help_text=_("e.g. CA for California, ENG for England."))
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")

    def __str__(self):
        return self.name

    def clean(self):
        if self.holiday_country:
            import holidays

            try:
                holidays.country_holidays(self.holiday_country, subdiv=self.holiday_subdivision or None)
            except (NotImplementedError, KeyError) as exc:
                raise ValidationError({"holiday_country": str(exc)})


class CalendarHours(models.Model):
    """One working interval on a weekday. An end at or before the start runs past midnight;
    an end equal to the start is a full 24 hours."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=WEEKDAYS)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=0, weekday__lte=6), name="calendarhours_weekday"),
            models.UniqueConstraint(fields=["calendar", "weekday", "start"], name="calendarhours_unique"),
        ]

    def __str__(self):
        from .formatting import interval_label

        return f"{self.get_weekday_display()} {interval_label(self.start, self.end)}"


class CalendarDate(models.Model):
    """A date the calendar is closed (beyond public holidays), or an extra working day with its hours."""

    calendar = models.ForeignKey(Calendar, on_delete=models.CASCADE, related_name="dates")
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=10, choices=DateKind.choices, default=DateKind.CLOSED)
    start = models.TimeField(_("from"), null=True, blank=True)
    end = models.TimeField(_("until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=120, blank=True)

    class Meta:
        ordering = ["date", "start"]
        verbose_name = _("calendar date")
        verbose_name_plural = _("calendar dates")
        constraints = [
            models.UniqueConstraint(fields=["calendar", "date", "kind", "start"], name="calendardate_unique",
                                    nulls_distinct=False),
            models.CheckConstraint(condition=Q(kind="closed") | Q(start__isnull=False, end__isnull=False),
                                   name="calendardate_open_has_hours"),
        ]

    def __str__(self):
        return f"{self.date} {self.get_kind_display()}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class SlaDefinition(TimestampedModel):
    """An agreement: which tickets it covers (first match by ``order``), its calendar and targets.

    SLA: the customer's promise, paused in ``pause_on`` states. OLA: a team's internal target, counted
    only while that team holds the ticket. UC: a vendor's contract, counted only in ``run_on`` states.
    Empty match lists mean "any".
    """

    name = models.CharField(_("name"), max_length=120, unique=True)
    type = models.CharField(_("type"), max_length=3, choices=AgreementType.choices, default=AgreementType.SLA)
    order = models.PositiveIntegerField(_("order"), default=100,
                                        help_text=_("Lower numbers are tried first; the first match applies."))
    active = models.BooleanField(_("active"), default=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    calendar = models.ForeignKey(Calendar, verbose_name=_("calendar"), on_delete=models.PROTECT,
                                 related_name="definitions")
    kinds = ArrayField(models.CharField(max_length=20, choices=TicketKind.choices), verbose_name=_("ticket kinds"),
                       default=list, blank=True)
    priorities = ArrayField(models.PositiveSmallIntegerField(), verbose_name=_("priorities"), default=list,
                            blank=True)
    services = models.ManyToManyField(ConfigurationItem, verbose_name=_("services"), blank=True,
                                      related_name="sla_definitions")
    categories = models.ManyToManyField(Category, verbose_name=_("categories"), blank=True,
                                        related_name="sla_definitions")
    organisations = models.ManyToManyField(Organisation, verbose_name=_("requester's organisations"), blank=True,
                                           related_name="sla_definitions")
    teams = models.ManyToManyField(Team, verbose_name=_("teams (OLA)"), blank=True, related_name="sla_definitions")
    pause_on = ArrayField(models.CharField(max_length=61), verbose_name=_("paused in states"),
                          default=default_pause_on, blank=True, validators=[validate_conditions])
    run_on = ArrayField(models.CharField(max_length=61), verbose_name=_("counted only in states (UC)"),
                        default=list, blank=True, validators=[validate_conditions])
    warn_at = ArrayField(models.PositiveSmallIntegerField(), verbose_name=_("warning thresholds (%)"),
                         default=default_warnings, blank=True, validators=[validate_thresholds])

    class Meta:
        ordering = ["type", "order", "name"]
        verbose_name = _("SLA definition")
        verbose_name_plural = _("SLA definitions")
        permissions = [("manage_sla", _("Can manage service levels"))]
        indexes = [models.Index(fields=["type", "order"], condition=Q(active=True), name="sladef_active_idx")]

    def __str__(self):
        return self.name

    def clean(self):
        if self.type == AgreementType.UC and not self.run_on:
            raise ValidationError({"run_on": _("An underpinning contract counts only in some states; name them.")})


class SlaTarget(models.Model):
    definition = models.ForeignKey(SlaDefinition, on_delete=models.CASCADE, related_name="targets")
    metric = models.CharField(_("metric"), max_length=12, choices=Metric.choices)
    seconds = models.PositiveIntegerField(_("target (business seconds)"))

    class Meta:
        ordering = ["definition", "metric"]
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        constraints = [
            models.UniqueConstraint(fields=["definition", "metric"], name="slatarget_unique"),
            models.CheckConstraint(condition=Q(seconds__gt=0), name="slatarget_positive"),
        ]

    def __str__(self):
        return f"{self.get_metric_display()}: {self.seconds} s"


class EscalationRule(models.Model):
    """What to do when a clock of ``definition`` reaches ``threshold`` % (100 = breach). Fires once per clock."""

    definition = models.ForeignKey(SlaDefinition, on_delete=models.CASCADE, related_name="escalations")
    metric = models.CharField(_("metric"), max_length=12, choices=Metric.choices, blank=True,
                              help_text=_("Empty: both metrics."))
    threshold = models.PositiveSmallIntegerField(_("at (%)"), default=BREACH,
                                                 help_text=_("100 is the breach; lower values are warnings."))
    action = models.CharField(_("action"), max_length=24, choices=EscalationAction.choices)
    team = models.ForeignKey(Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT,
                             related_name="+", help_text=_("For reassignment."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["definition", "threshold", "id"]
        verbose_name = _("escalation rule")
        verbose_name_plural = _("escalation rules")
        constraints = [
            models.CheckConstraint(condition=Q(threshold__gte=1, threshold__lte=BREACH), name="escalation_threshold"),
            models.CheckConstraint(condition=~Q(action="reassign_team") | Q(team__isnull=False),
                                   name="escalation_reassign_needs_team"),
        ]

    def __str__(self):
        return f"{self.threshold}%: {self.get_action_display()}"


class Clock(models.Model):
    """One metric of one agreement on one ticket (for an OLA: one team's stint with the ticket).

    While running, business time elapsed is ``elapsed_seconds`` (counted up to ``running_since``)
    plus the business time since ``running_since``; ``due_at`` and ``next_check_at`` are fixed
    instants until something changes, when the clock is recomputed from history.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_clocks")
    definition = models.ForeignKey(SlaDefinition, on_delete=models.PROTECT, related_name="clocks")
    type = models.CharField(max_length=3, choices=AgreementType.choices)
    metric = models.CharField(max_length=12, choices=Metric.choices)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.PROTECT, related_name="sla_clocks")
    segment = models.PositiveSmallIntegerField(default=0, help_text="n-th stint of the team (OLA)")
    state = models.CharField(max_length=10, choices=ClockState.choices)
    target_seconds = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    stopped_at = models.DateTimeField(null=True, blank=True)
    running_since = models.DateTimeField(null=True, blank=True)
    paused_since = models.DateTimeField(null=True, blank=True)
    elapsed_seconds = models.PositiveIntegerField(default=0)
    paused_seconds = models.PositiveIntegerField(default=0, help_text="wall-clock seconds in pausing states")
    due_at = models.DateTimeField(null=True, blank=True)
    breached = models.BooleanField(default=False)
    breached_at = models.DateTimeField(null=True, blank=True)
    # The next moment the scan must look at this clock (a warning threshold or the due time).
    next_check_at = models.DateTimeField(null=True, blank=True)
    next_threshold = models.PositiveSmallIntegerField(null=True, blank=True)
    # Threshold % → epoch second it is (or was) reached, where known; the scan needs nothing else.
    checkpoints = models.JSONField(default=dict, blank=True)
    pauses = models.JSONField(default=list, blank=True)
    history_mark = models.CharField(max_length=40, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["ticket", "type", "metric", "segment"]
        verbose_name = _("SLA clock")
        verbose_name_plural = _("SLA clocks")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "type", "metric", "team", "segment"], name="clock_unique",
                                    nulls_distinct=False),
        ]
        indexes = [
            # The breach scan: only clocks with something left to check are in this index.
            models.Index(fields=["next_check_at"], condition=Q(next_check_at__isnull=False), name="clock_scan_idx"),
            # "Time left" sorting and the breaching-soon queue.
            models.Index(fields=["due_at", "ticket"], condition=Q(state="running"), name="clock_due_idx"),
            models.Index(fields=["started_at"], name="clock_started_idx"),
            models.Index(fields=["ticket"], name="clock_ticket_idx"),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.type}/{self.metric}"


class ClockEvent(models.Model):
    """A warning threshold or the breach, recorded once per clock (the scan inserts ON CONFLICT DO NOTHING)."""

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="events")
    threshold = models.PositiveSmallIntegerField()
    due_at = models.DateTimeField(help_text="when the threshold was reached")
    detected_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["clock", "threshold"]
        constraints = [models.UniqueConstraint(fields=["clock", "threshold"], name="clockevent_once")]

    def __str__(self):
        return f"{self.clock_id} {self.threshold}%"

    @property
    def is_breach(self) -> bool:
        return self.threshold >= BREACH


class EscalationRun(models.Model):
    """One escalation rule fired for one clock. Done in the same transaction as its effect."""

    clock = models.ForeignKey(Clock, on_delete=models.CASCADE, related_name="escalations")
    rule = models.ForeignKey(EscalationRule, on_delete=models.CASCADE, related_name="runs")
    event = models.ForeignKey(ClockEvent, on_delete=models.CASCADE, related_name="escalations")
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    queued_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    result = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["clock", "rule"], name="escalationrun_once")]
        indexes = [models.Index(fields=["queued_at"], condition=Q(status="pending"), name="escalationrun_pending_idx")]

    def __str__(self):
        return f"{self.rule_id} on {self.clock_id}: {self.status}"


class Recomputation(models.Model):
    """A re-target: clocks recomputed from history because the priority, service, category or a definition changed."""

    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    definition = models.ForeignKey(SlaDefinition, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.CharField(max_length=60)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    at = models.DateTimeField(default=timezone.now)
    clocks = models.PositiveIntegerField(default=0)
    changes = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["ticket", "at"], name="recompute_ticket_idx")]

    def __str__(self):
        return f"{self.reason} at {self.at:%Y-%m-%d %H:%M}"
