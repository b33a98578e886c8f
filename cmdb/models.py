"""The CMDB's data: CI classes and their declared attributes, configuration items with asset data,
typed relationships and redundancy groups.

A business service is a CI of the class ``business_service``: there is one notion of a service in
ESM, and tickets point at it. Every table is tracked by pghistory triggers, so imports, bulk
updates and admin edits all leave an audit trail.

Relationships read "source <type> target" ("app-01 runs on srv-01") and always point from the
dependent CI to what it depends on: when the target fails, the source is affected (unless the
type does not propagate impact, like "backed up by"). See docs/cmdb.md.
"""

import pghistory
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from esm.models import TimestampedModel, VersionedModel

from .choices import (
    BUSINESS_SERVICE_CLASS,
    CRITICALITY_BADGE,
    INACTIVE_STATUSES,
    STATUS_BADGE,
    AttributeType,
    Criticality,
    Environment,
    LifecycleStatus,
)

MANAGE_CMDB = "cmdb.manage_cmdb"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class CIClass(TimestampedModel):
    slug = models.SlugField(_("key"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=120)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent class"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="children",
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("CI class")
        verbose_name_plural = _("CI classes")
        constraints = [models.CheckConstraint(condition=~Q(parent=F("id")), name="ciclass_not_own_parent")]

    def __str__(self):
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class CIAttribute(models.Model):
    """An attribute a class declares; subclasses inherit their ancestors' attributes."""

    ci_class = models.ForeignKey(CIClass, verbose_name=_("class"), on_delete=models.CASCADE,
                                 related_name="attributes")
    key = models.SlugField(_("key"), max_length=60, help_text=_("Lower-case letters, digits and underscores."))
    name = models.CharField(_("label"), max_length=120)
    type = models.CharField(_("type"), max_length=10, choices=AttributeType.choices, default=AttributeType.TEXT)
    required = models.BooleanField(_("required"), default=False)
    choices = models.JSONField(_("allowed values"), default=list, blank=True,
                               help_text=_("A list of allowed values; empty allows any value of the type."))
    help_text = models.CharField(_("help text"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "key"]
        verbose_name = _("CI class attribute")
        verbose_name_plural = _("CI class attributes")
        constraints = [models.UniqueConstraint(fields=["ci_class", "key"], name="ciattribute_unique_key")]

    def __str__(self):
        return f"{self.ci_class_id}.{self.key}"


class ConfigurationItemQuerySet(models.QuerySet):
    def services(self):
        return self.filter(ci_class__slug=BUSINESS_SERVICE_CLASS)

    def operational(self):
        return self.exclude(status__in=INACTIVE_STATUSES)


# A sighting by an import (last_seen_at) is not a change: it leaves no audit row.
@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent(), exclude=["last_seen_at"])
class ConfigurationItem(TimestampedModel, VersionedModel):
    name = models.CharField(_("name"), max_length=200)
    ci_class = models.ForeignKey(CIClass, verbose_name=_("class"), on_delete=models.PROTECT, related_name="cis")
    status = models.CharField(
        _("lifecycle status"), max_length=20, choices=LifecycleStatus.choices, default=LifecycleStatus.IN_USE
    )
    environment = models.CharField(
        _("environment"), max_length=20, choices=Environment.choices, default=Environment.PRODUCTION
    )
    criticality = models.PositiveSmallIntegerField(
        _("criticality"), choices=Criticality.choices, default=Criticality.MEDIUM
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="owned_cis",
    )
    owner_team = models.ForeignKey(
        Team, verbose_name=_("owner team"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="owned_cis",
    )
    support_team = models.ForeignKey(
        Team, verbose_name=_("support team"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="supported_cis",
    )
    location = models.CharField(_("location"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    # Values of the attributes the class (and its ancestors) declare; validated by cmdb.attributes.
    attributes = models.JSONField(_("attributes"), default=dict, blank=True)

    # Where the record comes from (discovery tool, spreadsheet …); imports upsert on (source, external_id).
    source = models.CharField(_("source"), max_length=60, blank=True)
    external_id = models.CharField(_("external id"), max_length=200, blank=True)
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    # Set by the beat job when an imported CI has not been seen for CMDB_STALE_DAYS; cleared when seen.
    stale_since = models.DateTimeField(_("stale since"), null=True, blank=True, editable=False)

    # Asset data, where it applies.
    asset_tag = models.CharField(_("asset tag"), max_length=60, blank=True)
    serial_number = models.CharField(_("serial number"), max_length=100, blank=True)
    vendor = models.CharField(_("vendor"), max_length=100, blank=True)
    model_name = models.CharField(_("model"), max_length=100, blank=True)
    purchase_date = models.DateField(_("purchase date"), null=True, blank=True)
    purchase_cost = models.DecimalField(_("purchase cost"), max_digits=12, decimal_places=2, null=True, blank=True)
    warranty_end = models.DateField(_("warranty end"), null=True, blank=True)
    contract = models.CharField(_("contract"), max_length=100, blank=True)

    objects = ConfigurationItemQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")
        permissions = [("manage_cmdb", _("Can edit the CMDB (configuration items and relationships)"))]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], condition=~Q(external_id=""),
                                    name="ci_unique_source_external_id"),
            models.CheckConstraint(condition=Q(criticality__gte=1, criticality__lte=4), name="ci_criticality_range"),
            models.CheckConstraint(condition=Q(purchase_cost__isnull=True) | Q(purchase_cost__gte=0),
                                   name="ci_purchase_cost_positive"),
        ]
        indexes = [
            models.Index(fields=["ci_class", "name"], name="ci_class_name_idx"),
            # The CI list walks (name, id) with keyset pagination; filters narrow it.
            models.Index(fields=["name", "id"], name="ci_name_id_idx"),
            models.Index(fields=["support_team", "name", "id"], name="ci_support_team_idx"),
            models.Index(fields=["status", "name", "id"], name="ci_status_idx"),
            # Impact analysis skips retired and disposed CIs: a lookup in this small index per edge
            # walked, instead of reading each reached CI's row for its status.
            models.Index(fields=["id"], condition=Q(status__in=INACTIVE_STATUSES), name="ci_inactive_idx"),
            # Substring search in pickers and the list ("icontains" is UPPER(name) LIKE …).
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="ci_name_trgm_idx"),
            # Attribute filters use containment (attributes @> '{"os": "linux"}').
            GinIndex(fields=["attributes"], opclasses=["jsonb_path_ops"], name="ci_attributes_idx"),
            models.Index(fields=["stale_since", "id"], condition=Q(stale_since__isnull=False), name="ci_stale_idx"),
            models.Index(fields=["source", "last_seen_at"], condition=~Q(source=""), name="ci_source_seen_idx"),
        ]

    def __str__(self):
        return self.name

    @property
    def is_service(self) -> bool:
        return self.ci_class.slug == BUSINESS_SERVICE_CLASS

    @property
    def operational(self) -> bool:
        return self.status not in INACTIVE_STATUSES

    @property
    def status_badge(self) -> str:
        return STATUS_BADGE.get(self.status, "secondary")

    @property
    def criticality_badge(self) -> str:
        return CRITICALITY_BADGE.get(self.criticality, "secondary")


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class RelationshipType(TimestampedModel):
    """A kind of link, named both ways: "depends on" / "used by"."""

    slug = models.SlugField(_("key"), max_length=60, unique=True)
    name = models.CharField(_("name"), max_length=80, help_text=_('Read from the source: "runs on".'))
    reverse_name = models.CharField(_("reverse name"), max_length=80, help_text=_('Read from the target: "hosts".'))
    propagates_impact = models.BooleanField(
        _("propagates impact"), default=True,
        help_text=_("When the target fails, the source is affected. Off for links like “backed up by”."),
    )
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("relationship type")
        verbose_name_plural = _("relationship types")

    def __str__(self):
        return f"{self.name} / {self.reverse_name}"


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class RedundancyGroup(TimestampedModel):
    """Relationships of one CI that back each other up: a cluster of three web servers serving while two remain.

    Impact passes through the group to ``ci`` only when fewer than ``min_up`` of the group's
    members (the targets of its relationships) remain unaffected and in service.
    """

    name = models.CharField(_("name"), max_length=120)
    ci = models.ForeignKey(ConfigurationItem, verbose_name=_("configuration item"), on_delete=models.CASCADE,
                           related_name="redundancy_groups")
    min_up = models.PositiveSmallIntegerField(_("members that must stay up"), default=1)
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("redundancy group")
        verbose_name_plural = _("redundancy groups")
        constraints = [
            models.CheckConstraint(condition=Q(min_up__gte=1), name="redundancy_min_up_positive"),
            models.UniqueConstraint(fields=["ci", "name"], name="redundancy_unique_name_per_ci"),
        ]

    def __str__(self):
        return self.name


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Relationship(TimestampedModel):
    source = models.ForeignKey(ConfigurationItem, verbose_name=_("source"), on_delete=models.CASCADE,
                               related_name="relations_out")
    type = models.ForeignKey(RelationshipType, verbose_name=_("type"), on_delete=models.PROTECT,
                             related_name="relationships")
    target = models.ForeignKey(ConfigurationItem, verbose_name=_("target"), on_delete=models.CASCADE,
                               related_name="relations_in")
    redundancy_group = models.ForeignKey(RedundancyGroup, verbose_name=_("redundancy group"), null=True,
                                         blank=True, on_delete=models.SET_NULL, related_name="relationships")
    description = models.CharField(_("note"), max_length=300, blank=True)
    # Set by imports: the source system that declared this relationship.
    import_source = models.CharField(_("source"), max_length=60, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("relationship")
        verbose_name_plural = _("relationships")
        constraints = [
            models.CheckConstraint(condition=~Q(source=F("target")), name="relationship_no_self_link"),
            models.UniqueConstraint(fields=["source", "target", "type"], name="relationship_unique"),
        ]
        indexes = [
            # Upstream traversal walks from a target to its sources.
            models.Index(fields=["target", "source"], name="relationship_target_idx"),
            models.Index(fields=["redundancy_group"], condition=Q(redundancy_group__isnull=False),
                         name="relationship_group_idx"),
        ]

    def __str__(self):
        return f"{self.source_id} {self.type_id} {self.target_id}"
