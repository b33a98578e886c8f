"""Problem details (one-to-one with the shared ticket), the incidents a problem explains, the
known-error database and the recurring-incident candidates. Lifecycle in workflow.py, every write
in services.py (docs/problems.md)."""

import pghistory
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cmdb.models import ConfigurationItem
from esm.models import TimestampedModel, VersionedModel
from servicedesk.models import Category, SearchDocument, Ticket

from .choices import CandidateReason, CandidateState, CauseCategory, KnownErrorStatus, RcaMethod


class TextJoin(Func):
    """``a || ' ' || b …``: immutable (unlike CONCAT), so a generated column may use it."""

    arg_joiner = " || ' ' || "
    template = "%(expressions)s"
    output_field = models.TextField()


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Problem(models.Model):
    ticket = models.OneToOneField(Ticket, primary_key=True, on_delete=models.CASCADE, related_name="problem")
    impact = models.PositiveSmallIntegerField(_("impact"), default=3)
    urgency = models.PositiveSmallIntegerField(_("urgency"), default=2)
    problem_manager = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("problem manager"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="managed_problems")
    # Root-cause analysis: the method, its structured content (5 whys: [{"why", "answer"}];
    # fishbone: {category: [cause, …]}; timeline: [{"at", "event"}]; fault tree: [{"event", "causes"}]).
    rca_method = models.CharField(_("analysis method"), max_length=20, choices=RcaMethod.choices, blank=True)
    rca_content = models.JSONField(_("analysis"), default=dict, blank=True)
    root_cause = models.TextField(_("root cause"), blank=True)
    cause_category = models.CharField(_("cause category"), max_length=20, choices=CauseCategory.choices,
                                      blank=True)
    # Resolving without a change says why no change is needed.
    no_change_reason = models.TextField(_("why no change is needed"), blank=True)
    resolution_notes = models.TextField(_("resolution notes"), blank=True)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        permissions = [
            ("manage_problems", _("Can manage problems (lifecycle, root cause, known errors, candidates)")),
        ]
        indexes = [models.Index(fields=["problem_manager"], name="problem_manager_idx")]

    def __str__(self):
        return str(self.ticket)


class ProblemIncident(models.Model):
    """An incident a problem explains. An incident belongs to one problem at a time."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="incident_links")
    incident = models.OneToOneField(Ticket, on_delete=models.CASCADE, related_name="problem_link")
    linked_at = models.DateTimeField(default=timezone.now)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")

    class Meta:
        indexes = [models.Index(fields=["problem", "incident"], name="problem_incident_idx")]

    def __str__(self):
        return f"{self.problem_id} ← {self.incident_id}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(),
                 exclude=["search_document"])
class KnownError(VersionedModel, TimestampedModel):
    """A known error: what people see, why, and how to work around it until the fix is deployed."""

    title = models.CharField(_("title"), max_length=200)
    symptoms = models.TextField(_("symptoms"))
    root_cause = models.TextField(_("root cause"), blank=True)
    workaround = models.TextField(_("workaround"), blank=True, help_text=_("Markdown."))
    # Public: requesters may read the workaround on the portal and see it suggested while reporting.
    workaround_public = models.BooleanField(_("workaround shown to requesters"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=KnownErrorStatus.choices,
                              default=KnownErrorStatus.ACTIVE)
    problem = models.ForeignKey(Problem, verbose_name=_("problem"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="known_errors")
    category = models.ForeignKey(Category, verbose_name=_("category"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    cis = models.ManyToManyField(ConfigurationItem, verbose_name=_("configuration items"), blank=True,
                                 related_name="known_errors")
    services = models.ManyToManyField(ConfigurationItem, verbose_name=_("services"), blank=True,
                                      related_name="service_known_errors")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    retired_at = models.DateTimeField(_("retired"), null=True, blank=True)
    # Words of the title (weight A) and the rest (B), plus Korean two-character tokens (the ticket search's).
    search_document = models.GeneratedField(
        expression=SearchDocument(F("title"), TextJoin(F("symptoms"), F("root_cause"), F("workaround"))),
        output_field=SearchVectorField(), db_persist=True,
    )

    class Meta:
        verbose_name = _("known error")
        verbose_name_plural = _("known errors")
        indexes = [
            GinIndex(fields=["search_document"], name="known_error_search_idx"),
            models.Index(fields=["status", "id"], name="known_error_status_idx"),
        ]

    def __str__(self):
        return self.title


class KnownErrorUse(models.Model):
    """A workaround applied to an incident (who, when, whether the requester was told)."""

    known_error = models.ForeignKey(KnownError, on_delete=models.CASCADE, related_name="uses")
    incident = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="known_error_uses")
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    applied_at = models.DateTimeField(default=timezone.now)
    told_requester = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "known_error"], name="known_error_use_unique")]

    def __str__(self):
        return f"{self.known_error_id} → {self.incident_id}"


class ProblemCandidate(models.Model):
    """Recurring incidents the detector proposes as a problem.

    ``signature`` names the cluster by what makes it one (the CI, or the normalised text), so a
    dismissal is remembered: the detector only counts that cluster's incidents opened after it.
    """

    signature = models.CharField(max_length=80)
    reason = models.CharField(_("reason"), max_length=20, choices=CandidateReason.choices)
    ci = models.ForeignKey(ConfigurationItem, verbose_name=_("configuration item"), null=True, blank=True,
                           on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    incidents = models.ManyToManyField(Ticket, related_name="problem_candidates")
    incident_count = models.PositiveIntegerField(_("incidents"), default=0)
    first_opened_at = models.DateTimeField(_("first incident"), null=True)
    last_opened_at = models.DateTimeField(_("latest incident"), null=True)
    state = models.CharField(_("state"), max_length=10, choices=CandidateState.choices, default=CandidateState.OPEN)
    created_at = models.DateTimeField(_("proposed"), default=timezone.now)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    problem = models.ForeignKey(Problem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("problem candidate")
        verbose_name_plural = _("problem candidates")
        constraints = [models.UniqueConstraint(fields=["signature"], condition=Q(state="open"),
                                               name="problem_candidate_open_unique")]
        indexes = [models.Index(fields=["signature", "state"], name="problem_candidate_sig_idx"),
                   models.Index(fields=["-last_opened_at", "-id"], condition=Q(state="open"),
                                name="problem_candidate_open_idx")]

    def __str__(self):
        return self.title
