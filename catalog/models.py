"""The service catalog (categories, items, versioned forms, task templates, approval rules) and the
records of what was ordered (request details, requested items, fulfilment task details).

Requests (REQ) and their fulfilment tasks (TASK) are rows of the shared ticket table; the rows here
hold what only they have. Catalog configuration is written by ``services.py`` (the catalog editor),
orders and tasks by ``fulfilment.py``.
"""

import pghistory
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from esm.models import TimestampedModel
from servicedesk.models import ApprovalPolicy, ApproverGroup, Category, Ticket

from .choices import (
    ApproverSource,
    Audience,
    FormState,
    ItemState,
    QuestionType,
    RequestedItemState,
    TimeoutAction,
)

# Translations of catalog content: {"ko": {"name": "…", "short_description": "…"}}. The stored
# fields hold the default (English) text; a reader in another language sees its translation where
# one is given.


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class CatalogCategory(TimestampedModel):
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    icon = models.CharField(_("icon"), max_length=40, blank=True)
    parent = models.ForeignKey("self", verbose_name=_("parent category"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    position = models.PositiveIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    translations = models.JSONField(_("translations"), default=dict, blank=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("catalog category")
        verbose_name_plural = _("catalog categories")

    def __str__(self):
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class CatalogItem(TimestampedModel):
    category = models.ForeignKey(CatalogCategory, verbose_name=_("category"), on_delete=models.PROTECT,
                                 related_name="items")
    name = models.CharField(_("name"), max_length=160)
    short_description = models.CharField(_("short description"), max_length=300, blank=True)
    description = models.TextField(_("description (Markdown)"), blank=True)
    icon = models.CharField(_("icon"), max_length=40, blank=True)
    picture = models.FileField(_("picture"), upload_to="catalog/", blank=True)
    state = models.CharField(_("state"), max_length=10, choices=ItemState.choices, default=ItemState.DRAFT)
    audience = models.CharField(_("who may order it"), max_length=12, choices=Audience.choices,
                                default=Audience.EVERYONE)
    organisations = models.ManyToManyField("accounts.Organisation", verbose_name=_("organisations"),
                                           blank=True, related_name="+")
    groups = models.ManyToManyField("auth.Group", verbose_name=_("groups"), blank=True, related_name="+")
    delivery_days = models.PositiveSmallIntegerField(_("delivery estimate (working days)"), null=True,
                                                     blank=True)
    fulfilment_team = models.ForeignKey("accounts.Team", verbose_name=_("fulfilment team"), null=True,
                                        blank=True, on_delete=models.PROTECT, related_name="+")
    # What the request's ticket gets for queues and SLA definitions.
    ticket_category = models.ForeignKey(Category, verbose_name=_("ticket category"), null=True, blank=True,
                                        on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey("cmdb.ConfigurationItem", verbose_name=_("service"), null=True, blank=True,
                                on_delete=models.PROTECT, related_name="+")
    price = models.DecimalField(_("price"), max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    max_quantity = models.PositiveSmallIntegerField(_("most per order"), default=1)
    allow_requested_for = models.BooleanField(_("may be ordered for someone else"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    # The published form version new orders use (FormVersion.state = published).
    current_form = models.ForeignKey("FormVersion", verbose_name=_("current form"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    translations = models.JSONField(_("translations"), default=dict, blank=True)

    class Meta:
        ordering = ["position", "name"]
        verbose_name = _("catalog item")
        verbose_name_plural = _("catalog items")
        permissions = [("manage_catalog", _("Can edit the service catalog"))]
        indexes = [models.Index(fields=["category", "state"], name="catalog_item_cat_state_idx")]

    def __str__(self):
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class FormVersion(models.Model):
    """One version of an item's form. Published versions never change; editing makes a new draft."""

    item = models.ForeignKey(CatalogItem, verbose_name=_("item"), on_delete=models.CASCADE,
                             related_name="form_versions")
    number = models.PositiveIntegerField(_("version"))
    state = models.CharField(_("state"), max_length=12, choices=FormState.choices, default=FormState.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True,
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"), null=True,
                                     blank=True, on_delete=models.PROTECT, related_name="+")
    published_at = models.DateTimeField(_("published"), null=True, blank=True)

    class Meta:
        ordering = ["item", "-number"]
        verbose_name = _("form version")
        verbose_name_plural = _("form versions")
        constraints = [
            models.UniqueConstraint(fields=["item", "number"], name="catalog_form_version_uniq"),
            models.UniqueConstraint(fields=["item"], condition=models.Q(state=FormState.DRAFT),
                                    name="catalog_form_one_draft"),
        ]

    def __str__(self):
        return f"{self.item} v{self.number}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Question(models.Model):
    """A typed question of a form version.

    ``visible_if`` / ``required_if`` are conditions on other answers of the same form:
    ``{"all": [...]}`` or ``{"any": [...]}`` of ``{"question": key, "op": "equals" | "one_of" |
    "contains", "value": …}`` (nestable). ``choices`` is ``[{"value": "…", "label": "…",
    "translations": {"ko": "…"}}]``.
    """

    form = models.ForeignKey(FormVersion, verbose_name=_("form"), on_delete=models.CASCADE,
                             related_name="questions")
    key = models.SlugField(_("key"), max_length=60)
    position = models.PositiveIntegerField(_("position"), default=0)
    type = models.CharField(_("type"), max_length=20, choices=QuestionType.choices)
    label = models.CharField(_("label"), max_length=200)
    help_text = models.CharField(_("help text"), max_length=500, blank=True)
    required = models.BooleanField(_("required"), default=False)
    default = models.JSONField(_("default"), null=True, blank=True)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    min_value = models.DecimalField(_("minimum"), max_digits=14, decimal_places=4, null=True, blank=True)
    max_value = models.DecimalField(_("maximum"), max_digits=14, decimal_places=4, null=True, blank=True)
    pattern = models.CharField(_("pattern (regular expression)"), max_length=200, blank=True)
    pattern_message = models.CharField(_("message when the pattern does not match"), max_length=200,
                                       blank=True)
    ci_class = models.ForeignKey("cmdb.CIClass", verbose_name=_("CI class"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="+")
    visible_if = models.JSONField(_("visible if"), null=True, blank=True)
    required_if = models.JSONField(_("required if"), null=True, blank=True)
    translations = models.JSONField(_("translations"), default=dict, blank=True)

    class Meta:
        ordering = ["form", "position", "id"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [models.UniqueConstraint(fields=["form", "key"], name="catalog_question_key_uniq")]

    def __str__(self):
        return self.label


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class TaskTemplate(models.Model):
    """A fulfilment task every order of the item creates. ``description`` may name answers as
    ``{answer_key}``; ``condition`` (the question-condition grammar) limits it to some orders."""

    item = models.ForeignKey(CatalogItem, verbose_name=_("item"), on_delete=models.CASCADE,
                             related_name="task_templates")
    key = models.SlugField(_("key"), max_length=60)
    position = models.PositiveIntegerField(_("position"), default=0)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    team = models.ForeignKey("accounts.Team", verbose_name=_("team"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+")
    depends_on = models.ManyToManyField("self", verbose_name=_("depends on"), symmetrical=False, blank=True,
                                        related_name="dependents")
    condition = models.JSONField(_("only when"), null=True, blank=True)
    translations = models.JSONField(_("translations"), default=dict, blank=True)

    class Meta:
        ordering = ["item", "position", "id"]
        verbose_name = _("task template")
        verbose_name_plural = _("task templates")
        constraints = [models.UniqueConstraint(fields=["item", "key"], name="catalog_task_template_key_uniq")]

    def __str__(self):
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class ApprovalRule(models.Model):
    """One approval step an order of the item asks for, in ``position`` order (approval engine)."""

    item = models.ForeignKey(CatalogItem, verbose_name=_("item"), on_delete=models.CASCADE,
                             related_name="approval_rules")
    position = models.PositiveIntegerField(_("position"), default=0)
    name = models.CharField(_("name"), max_length=120)
    source = models.CharField(_("approvers"), max_length=10, choices=ApproverSource.choices)
    group = models.ForeignKey(ApproverGroup, verbose_name=_("approver group"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="+")
    people = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("people"), blank=True,
                                    related_name="+")
    answer_key = models.SlugField(_("answer naming the approver"), max_length=60, blank=True)
    policy = models.CharField(_("policy"), max_length=10, choices=ApprovalPolicy.choices,
                              default=ApprovalPolicy.ANY)
    threshold = models.PositiveSmallIntegerField(_("quorum or percent"), null=True, blank=True)
    # Ask only when the order matches (question-condition grammar; "price" compares the order's total).
    condition = models.JSONField(_("only when"), null=True, blank=True)
    timeout_hours = models.PositiveIntegerField(_("time out after (hours)"), null=True, blank=True)
    timeout_action = models.CharField(_("on time-out"), max_length=10, choices=TimeoutAction.choices,
                                      blank=True)
    escalate_to = models.ForeignKey(ApproverGroup, verbose_name=_("escalate to"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["item", "position", "id"]
        verbose_name = _("approval rule")
        verbose_name_plural = _("approval rules")

    def __str__(self):
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class ServiceRequest(models.Model):
    """A request's own row (ticket kind "request"): the ticket's requester ordered it for
    ``requested_for``."""

    ticket = models.OneToOneField(Ticket, primary_key=True, on_delete=models.CASCADE,
                                  related_name="service_request")
    requested_for = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested for"),
                                      on_delete=models.PROTECT, related_name="+")
    # A rejected request copied into a new draft.
    copied_from = models.ForeignKey(Ticket, verbose_name=_("copied from"), null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        indexes = [models.Index(fields=["requested_for"], name="catalog_request_for_idx")]

    def __str__(self):
        return str(self.ticket_id)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class RequestedItem(models.Model):
    """One catalog item in a request, with the form as it was when ordered (``snapshot``:
    ``[{"key", "type", "label", "answer", "display"}]``), so editing the item changes nothing here."""

    request = models.ForeignKey(ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE,
                                related_name="items")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    item = models.ForeignKey(CatalogItem, verbose_name=_("catalog item"), on_delete=models.PROTECT,
                             related_name="+")
    form_version = models.ForeignKey(FormVersion, verbose_name=_("form version"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=160)  # the item's name when ordered
    quantity = models.PositiveSmallIntegerField(_("quantity"), default=1)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    snapshot = models.JSONField(_("questions and answers"), default=list, blank=True)
    unit_price = models.DecimalField(_("unit price"), max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    state = models.CharField(_("state"), max_length=20, choices=RequestedItemState.choices,
                             default=RequestedItemState.AWAITING_APPROVAL)

    class Meta:
        ordering = ["request", "position", "id"]
        verbose_name = _("requested item")
        verbose_name_plural = _("requested items")

    def __str__(self):
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class FulfilmentTask(models.Model):
    """A fulfilment task's own row (ticket kind "task"), made from a task template when its item is
    approved. A task waits (inactive) until the tasks it depends on are closed."""

    ticket = models.OneToOneField(Ticket, primary_key=True, on_delete=models.CASCADE,
                                  related_name="fulfilment_task")
    requested_item = models.ForeignKey(RequestedItem, verbose_name=_("requested item"),
                                       on_delete=models.CASCADE, related_name="tasks")
    template = models.ForeignKey(TaskTemplate, verbose_name=_("task template"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="+")
    key = models.SlugField(_("key"), max_length=60, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)
    depends_on = models.ManyToManyField("self", verbose_name=_("depends on"), symmetrical=False, blank=True,
                                        related_name="dependents")

    class Meta:
        ordering = ["requested_item", "position"]
        verbose_name = _("fulfilment task")
        verbose_name_plural = _("fulfilment tasks")

    def __str__(self):
        return str(self.ticket_id)
