"""Satisfaction surveys: a policy per kind of ticket, one survey per resolved ticket, low-score follow-up.

A ``Survey`` row is created when a ticket enters a resolved state and the policy samples it; it is
an invitation due at ``due_at`` (found by the beat scan, rule 5), then a survey sent to the
requester with a signed link, then an answer. Who and what it concerns (team, agent, service) is
copied at resolution, so a later reassignment does not move a score to someone who did not do
the work. Every write goes through ``surveys.services``.
"""

import pghistory
from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from esm.models import TimestampedModel, VersionedModel

# The scale is fixed at 1–5 (the CSAT convention: 4 and 5 count as satisfied).
SCORE_MIN, SCORE_MAX = 1, 5
SATISFIED_FROM = 4
# A score at or below this notifies the team lead and enters the low-score queue.
LOW_SCORE = 2


class FollowUpState(models.TextChoices):
    OPEN = "open", _("To follow up")
    CONTACTED = "contacted", _("Contacted")
    CLOSED = "closed", _("Closed")


class AnswerChannel(models.TextChoices):
    LINK = "link", _("E-mailed link")
    PORTAL = "portal", _("Portal")


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class SurveyPolicy(VersionedModel, TimestampedModel):
    """When and how often the requesters of one kind of ticket are asked how it went."""

    kind = models.CharField(_("kind of ticket"), max_length=20, unique=True)
    active = models.BooleanField(_("active"), default=True)
    delay_minutes = models.PositiveIntegerField(
        _("delay after resolution (minutes)"), default=0,
        help_text=_("How long after the resolution the invitation is e-mailed."))
    sample_percent = models.PositiveSmallIntegerField(
        _("sample (percent of resolved tickets)"), default=100,
        help_text=_("Which share of resolved tickets gets a survey; the same ticket is always chosen the same way."))
    expiry_days = models.PositiveSmallIntegerField(
        _("link valid for (days)"), default=14, help_text=_("After this the link no longer opens the survey."))
    comment_required_at_or_below = models.PositiveSmallIntegerField(
        _("comment required at or below score"), default=2,
        help_text=_("0: a comment is never required."))

    class Meta:
        ordering = ["kind"]
        verbose_name = _("survey policy")
        verbose_name_plural = _("survey policies")
        constraints = [
            models.CheckConstraint(condition=Q(sample_percent__lte=100), name="surveypolicy_sample_range"),
            models.CheckConstraint(condition=Q(expiry_days__gte=1, expiry_days__lte=90),
                                   name="surveypolicy_expiry_range"),
            models.CheckConstraint(condition=Q(comment_required_at_or_below__lte=SCORE_MAX),
                                   name="surveypolicy_comment_range"),
        ]

    def __str__(self):
        return self.kind


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Survey(VersionedModel):
    """The satisfaction survey of one resolved ticket: invitation, answer and follow-up."""

    ticket = models.OneToOneField("servicedesk.Ticket", on_delete=models.CASCADE, related_name="survey")
    kind = models.CharField(_("kind of ticket"), max_length=20)
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requester"), on_delete=models.PROTECT,
                                  related_name="surveys")
    # Who and what the score is about, as at the resolution.
    team = models.ForeignKey("accounts.Team", verbose_name=_("team"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="surveys")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("agent"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="rated_surveys")
    service = models.ForeignKey("cmdb.ConfigurationItem", verbose_name=_("service"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="surveys")
    resolved_at = models.DateTimeField(_("resolved"))
    # Copied from the policy when the invitation goes out.
    expiry_days = models.PositiveSmallIntegerField(_("link valid for (days)"), default=14)
    comment_required_at_or_below = models.PositiveSmallIntegerField(_("comment required at or below"), default=2)
    # Set while the invitation waits to be sent (the beat scan's partial index), cleared when sent.
    due_at = models.DateTimeField(_("invitation due"), null=True, blank=True)
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answer_updated_at = models.DateTimeField(_("answer last changed"), null=True, blank=True)
    answered_via = models.CharField(_("answered through"), max_length=10, choices=AnswerChannel.choices, blank=True)
    followup_state = models.CharField(_("follow-up"), max_length=10, choices=FollowUpState.choices, blank=True)

    class Meta:
        verbose_name = _("satisfaction survey")
        verbose_name_plural = _("satisfaction surveys")
        permissions = [("view_satisfaction", _("Can see satisfaction results and follow up low scores"))]
        constraints = [
            models.CheckConstraint(condition=Q(score__isnull=True) | Q(score__gte=SCORE_MIN, score__lte=SCORE_MAX),
                                   name="survey_score_range"),
            models.CheckConstraint(condition=Q(score__isnull=True, answered_at__isnull=True)
                                   | Q(score__isnull=False, answered_at__isnull=False),
                                   name="survey_score_with_answer"),
        ]
        indexes = [
            # The beat scan (rule 5) walks invitations that are due.
            models.Index(fields=["due_at"], condition=Q(due_at__isnull=False), name="survey_due_idx"),
            # Results and reports by answer time; the low-score queue by follow-up state.
            models.Index(fields=["answered_at", "id"], condition=Q(answered_at__isnull=False),
                         name="survey_answered_idx"),
            models.Index(fields=["followup_state", "answered_at", "id"], condition=~Q(followup_state=""),
                         name="survey_followup_idx"),
            models.Index(fields=["requester", "invited_at"], name="survey_requester_idx"),
        ]

    def __str__(self):
        return f"{self.ticket_id}: {self.score or '—'}"

    @property
    def is_low(self) -> bool:
        return self.score is not None and self.score <= LOW_SCORE


@pghistory.track(pghistory.InsertEvent())
class SurveyFollowUp(models.Model):
    """One step of a low score's follow-up: who contacted the requester or closed it, with a note."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="followups")
    state = models.CharField(_("follow-up"), max_length=10, choices=FollowUpState.choices)
    note = models.TextField(_("note"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), on_delete=models.PROTECT,
                              related_name="+")
    at = models.DateTimeField(_("at"))

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("low-score follow-up")
        verbose_name_plural = _("low-score follow-ups")

    def __str__(self):
        return f"{self.survey_id} {self.state}"
