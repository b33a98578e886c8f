from django.db import models
from django.utils.translation import gettext_lazy as _


class IncidentState(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    ON_HOLD = "on_hold", _("On hold")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class Impact(models.IntegerChoices):
    HIGH = 1, _("1 - High (many people or a whole service)")
    MEDIUM = 2, _("2 - Medium (a group or part of a service)")
    LOW = 3, _("3 - Low (one person)")


class Urgency(models.IntegerChoices):
    HIGH = 1, _("1 - High (work has stopped)")
    MEDIUM = 2, _("2 - Medium (work is slowed down)")
    LOW = 3, _("3 - Low (it can wait)")


class Channel(models.TextChoices):
    PORTAL = "portal", _("Self-service portal")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    API = "api", _("API")
    MONITORING = "monitoring", _("Monitoring")


class OnHoldReason(models.TextChoices):
    AWAITING_CALLER = "awaiting_caller", _("Awaiting caller")
    AWAITING_VENDOR = "awaiting_vendor", _("Awaiting vendor")
    AWAITING_CHANGE = "awaiting_change", _("Awaiting change")


class ResolutionCode(models.TextChoices):
    SOLVED_PERMANENTLY = "solved_permanently", _("Solved (permanently)")
    SOLVED_WORKAROUND = "solved_workaround", _("Solved (workaround)")
    SOLVED_REMOTELY = "solved_remotely", _("Solved remotely")
    NOT_REPRODUCIBLE = "not_reproducible", _("Not reproducible")
    NO_FAULT_FOUND = "no_fault_found", _("No fault found")
    RESOLVED_BY_CALLER = "resolved_by_caller", _("Resolved by caller")
    DUPLICATE = "duplicate", _("Duplicate")
    RESOLVED_WITH_PARENT = "resolved_with_parent", _("Resolved with parent incident")
