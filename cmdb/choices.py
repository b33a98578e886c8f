from django.db import models
from django.utils.translation import gettext_lazy as _


class LifecycleStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    ORDERED = "ordered", _("Ordered")
    IN_STOCK = "in_stock", _("In stock")
    IN_USE = "in_use", _("In use")
    IN_MAINTENANCE = "in_maintenance", _("In maintenance")
    RETIRED = "retired", _("Retired")
    DISPOSED = "disposed", _("Disposed")


class Environment(models.TextChoices):
    PRODUCTION = "production", _("Production")
    STAGING = "staging", _("Staging")
    TEST = "test", _("Test")
    DEVELOPMENT = "development", _("Development")


class Criticality(models.IntegerChoices):
    CRITICAL = 1, _("1 - Critical")
    HIGH = 2, _("2 - High")
    MEDIUM = 3, _("3 - Medium")
    LOW = 4, _("4 - Low")


BUSINESS_SERVICE_CLASS = "business_service"


CRITICALITY_BADGE = {1: "danger", 2: "warning", 3: "info", 4: "secondary"}
STATUS_BADGE = {
    "planned": "light", "ordered": "light", "in_stock": "secondary", "in_use": "success",
    "in_maintenance": "warning", "retired": "dark", "disposed": "dark",
}
# Retired and disposed CIs are out of service: impact analysis does not traverse them.
INACTIVE_STATUSES = ("retired", "disposed")


class AttributeType(models.TextChoices):
    TEXT = "text", _("Text")
    INTEGER = "integer", _("Whole number")
    DECIMAL = "decimal", _("Decimal number")
    BOOLEAN = "boolean", _("Yes/no")
    DATE = "date", _("Date")


class ImpactDirection(models.TextChoices):
    UPSTREAM = "upstream", _("Upstream (what depends on it)")
    DOWNSTREAM = "downstream", _("Downstream (what it depends on)")
