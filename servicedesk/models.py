"""The shared ticket record and what hangs off it: comments, attachments, time, history, outbox.

Every unit of work — incident, service request, problem, change — is one row in ``Ticket``; each
process keeps its own details in a one-to-one table in its own app (ServiceNow's task table).
"""

import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Organisation, Team
from cmdb.models import ConfigurationItem
from esm.models import TimestampedModel, VersionedModel

from .choices import EventKind, Priority, TicketKind


class SearchDocument(Func):
    """``esm_search_document(title, description)``: words plus Korean two-character tokens.

    The SQL function is created by migration 0001 (see docs/architecture.md, "Search").
    """

    function = "esm_search_document"
    output_field = SearchVectorField()


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Category(TimestampedModel):
    """Ticket category; a category with a parent is a subcategory."""

    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent category"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="subcategories",
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["parent__name", "name"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="category_unique_name_per_parent",
                                    nulls_distinct=False),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="category_not_own_parent"),
        ]

    def __str__(self):
        return f"{self.parent.name} / {self.name}" if self.parent_id else self.name


class TicketSequence(models.Model):
    """Last number issued per kind. Incremented inside the creating transaction: gap-free."""

    kind = models.CharField(max_length=20, choices=TicketKind.choices, primary_key=True)
    last_value = models.PositiveBigIntegerField(default=0)

    def __str__(self):
        return f"{self.kind}: {self.last_value}"


@pghistory.track(
    pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(),
    exclude=["search_document", "sla_due_at", "sla_dirty_since"],
)
class Ticket(VersionedModel):
    kind = models.CharField(_("kind"), max_length=20, choices=TicketKind.choices)
    number = models.CharField(_("number"), max_length=16, unique=True, editable=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    state = models.CharField(_("state"), max_length=30)
    # Whether the state is a working one (not resolved/closed/cancelled): set by the one service
    # that changes states, from the workflow table. Queues index on it.
    active = models.BooleanField(_("active"), default=True, editable=False)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.MODERATE)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requester"), on_delete=models.PROTECT,
        related_name="requested_tickets",
    )
    # The requester's organisation when the ticket was opened: tickets stay with the organisation.
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("organisation"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="tickets",
    )
    team = models.ForeignKey(
        Team, verbose_name=_("team"), null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="assigned_tickets",
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="tickets",
    )
    service = models.ForeignKey(
        ConfigurationItem, verbose_name=_("service"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="service_tickets",
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children",
    )
    cis = models.ManyToManyField(
        ConfigurationItem, through="TicketCI", verbose_name=_("configuration items"), related_name="tickets",
        blank=True,
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("watchers"), related_name="watched_tickets", blank=True
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    # The nearest due time of the ticket's running SLA/OLA clocks, written by the SLA app
    # (sla/services.py): the queue's "time left" order and "breaching soon" queue walk its index.
    sla_due_at = models.DateTimeField(_("SLA due"), null=True, blank=True, editable=False)
    # Set by every business write (in its transaction), cleared once the clocks are derived again:
    # a recompute lost with a dying process is found by the sweep (sla.tasks.sweep_dirty_clocks).
    sla_dirty_since = models.DateTimeField(_("SLA clocks stale since"), null=True, blank=True, editable=False)
    search_document = models.GeneratedField(
        expression=SearchDocument(F("title"), F("description")),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        permissions = [
            ("work_ticket", _("Can work tickets in the agent console")),
            ("view_all_tickets", _("Can see every ticket")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(priority__gte=1, priority__lte=5), name="ticket_priority_range"),
            models.CheckConstraint(condition=Q(assignee__isnull=True) | Q(team__isnull=False),
                                   name="ticket_assignee_needs_team"),
            models.CheckConstraint(condition=~Q(parent=F("id")), name="ticket_not_own_parent"),
        ]
        indexes = [
            # Queue orderings walk these with keyset pagination (esm.pagination).
            models.Index(fields=["priority", "id"], condition=Q(active=True), name="ticket_active_prio_idx"),
            models.Index(fields=["state", "priority", "id"], condition=Q(active=True), name="ticket_state_prio_idx"),
            models.Index(fields=["priority", "id"], name="ticket_prio_idx"),  # "everything" by priority
            models.Index(fields=["team", "priority", "id"], condition=Q(active=True), name="ticket_team_prio_idx"),
            models.Index(fields=["assignee", "priority", "id"], condition=Q(active=True),
                         name="ticket_assignee_prio_idx"),
            models.Index(fields=["priority", "id"], condition=Q(active=True, assignee__isnull=True),
                         name="ticket_unassigned_idx"),
            models.Index(fields=["opened_at", "id"], name="ticket_opened_idx"),
            # One kind's own lists (service requests newest first, fulfilment tasks by priority): without
            # them a kind that is a tenth of the table is found by walking the shared order's index.
            models.Index(fields=["kind", "opened_at", "id"], name="ticket_kind_opened_idx"),
            models.Index(fields=["kind", "priority", "id"], name="ticket_kind_prio_idx"),
            models.Index(fields=["kind", "priority", "id"], condition=Q(active=True, assignee__isnull=True),
                         name="ticket_kind_unassigned_idx"),
            models.Index(fields=["sla_due_at", "id"], condition=Q(active=True, sla_due_at__isnull=False),
                         name="ticket_sla_due_idx"),
            models.Index(fields=["updated_at", "id"], name="ticket_updated_idx"),
            models.Index(fields=["sla_dirty_since"], condition=Q(sla_dirty_since__isnull=False),
                         name="ticket_sla_dirty_idx"),
            models.Index(fields=["requester", "opened_at"], name="ticket_requester_idx"),
            models.Index(fields=["organisation", "opened_at"], name="ticket_org_idx"),
            models.Index(fields=["parent"], condition=Q(parent__isnull=False), name="ticket_parent_idx"),
            models.Index(fields=["state", "resolved_at"], condition=Q(resolved_at__isnull=False),
                         name="ticket_resolved_idx"),
            # Search reads public_document / staff_document and their GIN indexes (migration 0010).
        ]

    def __str__(self):
        return f"{self.number} {self.title}"


class TicketCI(models.Model):
    """A configuration item named on a ticket (affected CI for incidents, touched CI for changes)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="ci_links")
    ci = models.ForeignKey(ConfigurationItem, on_delete=models.PROTECT, related_name="ticket_links")
    linked_at = models.DateTimeField(default=timezone.now)
    linked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ticket", "ci"], name="ticketci_unique")]
        indexes = [models.Index(fields=["ci", "ticket"], name="ticketci_ci_idx")]

    def __str__(self):
        return f"{self.ticket_id} → {self.ci_id}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Comment(models.Model):
    """A public reply (seen by the requester) or an internal work note (agents only)."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="comments")
    body = models.TextField(_("message"))
    public = models.BooleanField(_("public reply"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="comment_ticket_idx")]

    def __str__(self):
        return f"{self.ticket_id}: {self.body[:40]}"


def attachment_path(instance, filename):
    return f"attachments/{timezone.now():%Y/%m}/{instance.ticket_id}/{filename}"


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class Attachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=120)
    public = models.BooleanField(_("visible to the requester"), default=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="attachment_ticket_idx")]

    def __str__(self):
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class TimeEntry(models.Model):
    """Time an agent spent on a ticket, recorded with a work note."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="time_entries")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="time_entries")
    minutes = models.PositiveIntegerField(_("minutes"))
    note = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(minutes__gte=1, minutes__lte=24 * 60), name="time_entry_minutes_range"),
        ]
        indexes = [
            models.Index(fields=["ticket"], name="time_ticket_idx"),
            models.Index(fields=["agent", "created_at"], name="time_agent_idx"),
        ]

    def __str__(self):
        return f"{self.minutes} min"


class TimelineEntry(models.Model):
    """One line of a ticket's timeline, written by the service that made the change.

    The full field-level audit trail is kept separately by pghistory triggers; these rows are the
    readable story a person follows on the ticket page.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    public = models.BooleanField(default=False)
    data = models.JSONField(default=dict, blank=True)
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="+")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"], name="timeline_ticket_idx")]

    def __str__(self):
        return f"{self.ticket_id} {self.kind}"


class Notification(TimestampedModel):
    """Outbox row for one e-mail. Written in the business transaction, sent by a worker after commit.

    A beat task re-queues rows that are still unsent, so a lost Celery message delays a mail but
    never drops it; the sending task claims a row with a guarded update so it is sent once.
    """

    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="notifications")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    to_email = models.EmailField()
    reason = models.CharField(max_length=40)
    subject = models.CharField(max_length=250)
    body = models.TextField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["created_at"], condition=Q(sent_at__isnull=True), name="notification_unsent_idx"),
        ]

    def __str__(self):
        return f"{self.to_email}: {self.subject}"


# --- Approvals: one engine for every process (services in servicedesk/approvals.py) ----------


class ApprovalPolicy(models.TextChoices):
    ALL = "all", _("Everyone")
    ANY = "any", _("Any one")
    QUORUM = "quorum", _("A quorum")
    PERCENT = "percent", _("A percentage")


class ApprovalStepState(models.TextChoices):
    WAITING = "waiting", _("Waiting for an earlier step")
    PENDING = "pending", _("Awaiting decisions")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class VoteState(models.TextChoices):
    PENDING = "pending", _("Awaiting decision")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    NOT_REQUIRED = "not_required", _("Not required")


class TimeoutAction(models.TextChoices):
    NONE = "", _("Wait")
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    ESCALATE = "escalate", _("Escalate")


class Decision(models.TextChoices):
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class ApproverGroup(TimestampedModel):
    """People who approve together: a change advisory board, an emergency CAB, a budget board."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    chair = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("chair"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="chaired_approver_groups")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("members"),
                                     related_name="approver_groups", blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("approver group")
        verbose_name_plural = _("approver groups")

    def __str__(self):
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class ApprovalStep(models.Model):
    """One step of a ticket's approval: who decides and by which policy. Steps run in ``order``.

    A ticket sent back for rework and asked again gets a new ``round``; earlier rounds stay as they
    were decided.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="approval_steps")
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    order = models.PositiveSmallIntegerField(_("order"))
    name = models.CharField(_("name"), max_length=120)
    policy = models.CharField(_("policy"), max_length=10, choices=ApprovalPolicy.choices)
    # A quorum's number of approvals, or a percentage of the approvers.
    threshold = models.PositiveSmallIntegerField(_("threshold"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=ApprovalStepState.choices,
                             default=ApprovalStepState.WAITING)
    # Facts the process recorded when the step was asked (e.g. a change's risk level and score).
    context = models.JSONField(_("context"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    # Time-out: ``timeout_hours`` after the step starts (``due_at``, set while it is pending), the
    # beat scan approves, rejects or escalates it to ``escalate_to`` (once).
    timeout_hours = models.PositiveIntegerField(_("time out after (hours)"), null=True, blank=True)
    timeout_action = models.CharField(_("on time-out"), max_length=10, choices=TimeoutAction.choices, blank=True)
    escalate_to = models.ForeignKey(ApproverGroup, verbose_name=_("escalate to"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")
    due_at = models.DateTimeField(_("times out at"), null=True, blank=True)

    class Meta:
        ordering = ["ticket", "round", "order"]
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        # The time-out scan walks pending steps by due time (rule 5).
        indexes = [models.Index(fields=["due_at"], condition=Q(state="pending", due_at__isnull=False),
                                name="approval_step_due_idx")]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "round", "order"], name="approval_step_unique"),
            models.CheckConstraint(
                condition=Q(policy__in=["all", "any"]) | Q(threshold__gte=1),
                name="approval_step_threshold_set"),
            models.CheckConstraint(condition=~Q(policy="percent") | Q(threshold__lte=100),
                                   name="approval_step_percent_range"),
        ]

    def __str__(self):
        return f"{self.ticket_id} #{self.round}.{self.order} {self.name}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent())
class ApprovalVote(models.Model):
    """One approver's place on a step; why they are on it (named, a group, a role) is kept."""

    step = models.ForeignKey(ApprovalStep, on_delete=models.CASCADE, related_name="votes")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="approval_votes")
    via_group = models.ForeignKey(ApproverGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    via_role = models.CharField(_("role"), max_length=150, blank=True)
    state = models.CharField(_("state"), max_length=15, choices=VoteState.choices, default=VoteState.PENDING)

    class Meta:
        ordering = ["step", "id"]
        constraints = [models.UniqueConstraint(fields=["step", "approver"], name="approval_vote_unique")]
        # "Awaiting my approval" across processes walks this.
        indexes = [models.Index(fields=["approver", "step"], condition=Q(state="pending"),
                                name="approval_vote_pending_idx")]

    def __str__(self):
        return f"{self.step_id}: {self.approver_id} {self.state}"


class ApprovalDecision(models.Model):
    """A decision as it was taken: never updated or deleted.

    The services only insert; a database trigger (``pgtrigger.Protect``) refuses UPDATE and DELETE
    from anywhere else too — the admin, raw SQL, a bulk ``update()``.
    """

    step = models.ForeignKey(ApprovalStep, on_delete=models.CASCADE, related_name="decisions")
    vote = models.ForeignKey(ApprovalVote, on_delete=models.PROTECT, related_name="decisions")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Set when a delegate decides for the approver of ``vote``.
    on_behalf_of = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)
    # What the process showed when the decision was taken (e.g. the change's risk then).
    context = models.JSONField(_("context"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["step", "at"], name="approval_decision_step_idx")]
        permissions = [("decide_for_others", _("Can decide an approval on behalf of another approver"))]
        triggers = [pgtrigger.Protect(name="approval_decision_immutable",
                                      operation=pgtrigger.Update | pgtrigger.Delete)]

    def __str__(self):
        return f"{self.step_id}: {self.decided_by_id} {self.decision}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class ApprovalDelegation(models.Model):
    """An approver (``delegator``) lets ``delegate`` decide their approvals from ``starts_at`` until
    ``ends_at``; each decision keeps both names (``decided_by``, ``on_behalf_of``)."""

    delegator = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("approver"), on_delete=models.CASCADE,
                                  related_name="approval_delegations")
    delegate = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("delegate"), on_delete=models.CASCADE,
                                 related_name="approval_delegations_received")
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    revoked_at = models.DateTimeField(_("ended early"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_at", "id"]
        verbose_name = _("approval delegation")
        verbose_name_plural = _("approval delegations")
        indexes = [models.Index(fields=["delegate", "ends_at"], condition=Q(revoked_at__isnull=True),
                                name="approval_delegation_active_idx")]
        constraints = [models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")),
                                              name="approval_delegation_period"),
                       models.CheckConstraint(condition=~Q(delegate=F("delegator")),
                                              name="approval_delegation_not_self")]

    def __str__(self):
        return f"{self.delegator_id} → {self.delegate_id}"

    def is_active(self, at) -> bool:
        """In force at ``at`` (the rule ``approvals.delegators_query`` applies in SQL)."""
        return self.revoked_at is None and self.starts_at <= at < self.ends_at
