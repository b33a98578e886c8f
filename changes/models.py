"""Change details (one-to-one with the shared ticket), standard-change templates, freeze windows,
the risk questionnaire and the CAB rules. Lifecycle in workflow.py, every write in services.py."""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cmdb.models import ConfigurationItem
from esm.models import TimestampedModel, VersionedModel
from servicedesk.models import ApprovalPolicy, ApproverGroup, Category, Ticket

from .choices import ChangeReason, ChangeType, ImplementationOutcome, LinkRelation, RiskLevel


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class ChangeTemplate(VersionedModel, TimestampedModel):
    """A pre-approved standard change. Withdrawing it stops new use; changes made from it keep their copy."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    title = models.CharField(_("change title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(_("reason"), max_length=20, choices=ChangeReason.choices,
                              default=ChangeReason.MAINTENANCE)
    implementation_plan = models.TextField(_("implementation plan"))
    backout_plan = models.TextField(_("back-out plan"))
    test_plan = models.TextField(_("test plan"), blank=True)
    team = models.ForeignKey("accounts.Team", verbose_name=_("implementing team"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    # How long the work usually takes: fills the planned end from the planned start.
    duration_minutes = models.PositiveIntegerField(_("usual duration (minutes)"), default=60)
    active = models.BooleanField(_("available"), default=True)
    withdrawn_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("standard change template")
        verbose_name_plural = _("standard change templates")

    def __str__(self):
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Change(models.Model):
    ticket = models.OneToOneField(Ticket, primary_key=True, on_delete=models.CASCADE, related_name="change")
    change_type = models.CharField(_("type"), max_length=10, choices=ChangeType.choices, default=ChangeType.NORMAL)
    reason = models.CharField(_("reason"), max_length=20, choices=ChangeReason.choices,
                              default=ChangeReason.MAINTENANCE)
    justification = models.TextField(_("business justification"), blank=True)
    implementation_plan = models.TextField(_("implementation plan"), blank=True)
    backout_plan = models.TextField(_("back-out plan"), blank=True)
    test_plan = models.TextField(_("test plan"), blank=True)
    template = models.ForeignKey(ChangeTemplate, verbose_name=_("standard change template"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="changes")
    change_manager = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("change manager"), null=True,
                                       blank=True, on_delete=models.PROTECT, related_name="managed_changes")
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    planned_end = models.DateTimeField(_("planned end"), null=True, blank=True)
    actual_start = models.DateTimeField(_("actual start"), null=True, blank=True)
    actual_end = models.DateTimeField(_("actual end"), null=True, blank=True)
    # Risk: the last assessment (services.change_assess_risk). Answers are {question id: true/false}.
    risk_answers = models.JSONField(_("risk answers"), default=dict, blank=True)
    risk_score = models.PositiveSmallIntegerField(_("risk score"), null=True, blank=True)
    risk_level = models.CharField(_("risk level"), max_length=10, choices=RiskLevel.choices, blank=True)
    risk_reasons = models.JSONField(_("risk reasons"), default=list, blank=True)  # facts, shown translated
    risk_assessed_at = models.DateTimeField(_("risk assessed"), null=True, blank=True)
    # Post-implementation review.
    outcome = models.CharField(_("outcome"), max_length=25, choices=ImplementationOutcome.choices, blank=True)
    review_notes = models.TextField(_("lessons learned"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("reviewed by"), null=True,
                                    blank=True, on_delete=models.PROTECT, related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)

    class Meta:
        verbose_name = _("change")
        verbose_name_plural = _("changes")
        permissions = [
            ("manage_changes", _("Can manage changes (templates, freeze windows, CAB rules, overrides)")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True) | Q(planned_end__isnull=True)
                | Q(planned_end__gt=F("planned_start")),
                name="change_planned_window_order"),
            models.CheckConstraint(
                condition=Q(actual_start__isnull=True) | Q(actual_end__isnull=True)
                | Q(actual_end__gte=F("actual_start")),
                name="change_actual_window_order"),
        ]
        indexes = [
            # Conflict detection and the calendar read windows that overlap a range.
            models.Index(fields=["planned_start", "planned_end"], condition=Q(planned_start__isnull=False),
                         name="change_window_idx"),
            models.Index(fields=["change_manager"], name="change_manager_idx"),
        ]

    def __str__(self):
        return str(self.ticket)


class ChangeLink(models.Model):
    """An incident or problem a change addresses, or an incident it caused."""

    change = models.ForeignKey(Change, on_delete=models.CASCADE, related_name="links")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="change_links")
    relation = models.CharField(_("relation"), max_length=10, choices=LinkRelation.choices)
    linked_at = models.DateTimeField(default=timezone.now)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["change", "ticket", "relation"], name="changelink_unique")]
        indexes = [models.Index(fields=["ticket", "relation"], name="changelink_ticket_idx")]

    def __str__(self):
        return f"{self.change_id} {self.relation} {self.ticket_id}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class FreezeWindow(TimestampedModel):
    """No changes while it lasts, everywhere or on one business service, unless a change manager overrides."""

    name = models.CharField(_("name"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    service = models.ForeignKey(ConfigurationItem, verbose_name=_("service"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="freeze_windows",
                                help_text=_("Empty: the freeze applies to every change."))
    reason = models.TextField(_("reason"), blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("freeze window")
        verbose_name_plural = _("freeze windows")
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="freeze_window_order")]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="freeze_window_range_idx")]

    def __str__(self):
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class RiskQuestion(TimestampedModel):
    """One question of the risk questionnaire; a "risky" answer adds ``weight`` to the score."""

    text = models.CharField(_("question"), max_length=300)
    help_text = models.CharField(_("explanation"), max_length=300, blank=True)
    # The answer that adds risk: "no" for "Was it tested in staging?", "yes" for "Is an outage needed?".
    risky_answer = models.BooleanField(_("risky answer is yes"), default=False)
    weight = models.PositiveSmallIntegerField(_("weight"), default=10)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["order", "id"]
        verbose_name = _("risk question")
        verbose_name_plural = _("risk questions")

    def __str__(self):
        return self.text


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class CabRule(TimestampedModel):
    """Which approver group (CAB) a change goes to: by type, from a risk level up, optionally per service."""

    change_type = models.CharField(_("type"), max_length=10, choices=ChangeType.choices)
    min_risk_level = models.CharField(_("from risk level"), max_length=10, choices=RiskLevel.choices,
                                      default=RiskLevel.LOW)
    service = models.ForeignKey(ConfigurationItem, verbose_name=_("service"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+",
                                help_text=_("Empty: any service."))
    group = models.ForeignKey(ApproverGroup, verbose_name=_("approver group"), on_delete=models.PROTECT,
                              related_name="cab_rules")
    order = models.PositiveSmallIntegerField(_("step order"), default=1)
    # How the group decides (the approval engine's policies): a CAB usually by quorum.
    policy = models.CharField(_("policy"), max_length=10, choices=ApprovalPolicy.choices, default=ApprovalPolicy.ANY)
    threshold = models.PositiveSmallIntegerField(_("threshold"), null=True, blank=True,
                                                 help_text=_("Approvals needed (quorum) or per cent (percentage)."))
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["change_type", "order", "id"]
        verbose_name = _("CAB rule")
        verbose_name_plural = _("CAB rules")

    def __str__(self):
        return f"{self.get_change_type_display()} ≥ {self.get_min_risk_level_display()} → {self.group}"


class CalendarFeedToken(models.Model):
    """A secret that lets a calendar client subscribe to the change calendar as the person who made it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="change_feed_tokens")
    # SHA-256 of the token; the token itself is shown once.
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.user_id} {self.digest[:8]}"
