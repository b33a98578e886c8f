"""Configuration items and their classes.

A business service is a CI of the class ``business_service``: there is one notion of a service in
ESM, and tickets point at it.
"""

import pghistory
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Team
from esm.models import TimestampedModel, VersionedModel

from .choices import BUSINESS_SERVICE_CLASS, Criticality, Environment, LifecycleStatus


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

    def __str__(self):
        return self.name


class ConfigurationItemQuerySet(models.QuerySet):
    def services(self):
        return self.filter(ci_class__slug=BUSINESS_SERVICE_CLASS)

    def operational(self):
        return self.exclude(status__in=[LifecycleStatus.RETIRED, LifecycleStatus.DISPOSED])


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
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
    description = models.TextField(_("description"), blank=True)

    objects = ConfigurationItemQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("configuration item")
        verbose_name_plural = _("configuration items")
        indexes = [models.Index(fields=["ci_class", "name"], name="ci_class_name_idx")]

    def __str__(self):
        return self.name

    @property
    def is_service(self) -> bool:
        return self.ci_class.slug == BUSINESS_SERVICE_CLASS
