from django.db import models
from django.utils.translation import gettext_lazy as _


class ChangeType(models.TextChoices):
    STANDARD = "standard", _("Standard")
    NORMAL = "normal", _("Normal")
    EMERGENCY = "emergency", _("Emergency")


class ChangeState(models.TextChoices):
    NEW = "new", _("New")
    ASSESSMENT = "assessment", _("Assessment")
    AUTHORIZATION = "authorization", _("Authorization")
    SCHEDULED = "scheduled", _("Scheduled")
    IMPLEMENTING = "implementing", _("Implementing")
    REVIEW = "review", _("Review")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class ChangeReason(models.TextChoices):
    FIX = "fix", _("Fix a fault or problem")
    SECURITY = "security", _("Security")
    MAINTENANCE = "maintenance", _("Maintenance or upgrade")
    CAPACITY = "capacity", _("Capacity or performance")
    NEW_SERVICE = "new_service", _("New or changed service")
    COMPLIANCE = "compliance", _("Compliance")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    VERY_HIGH = "very_high", _("Very high")


# Ordered, for rules such as "high risk and above".
RISK_ORDER = [RiskLevel.LOW, RiskLevel.MEDIUM, RiskLevel.HIGH, RiskLevel.VERY_HIGH]


class ImplementationOutcome(models.TextChoices):
    SUCCESSFUL = "successful", _("Successful")
    SUCCESSFUL_WITH_ISSUES = "successful_with_issues", _("Successful with issues")
    FAILED = "failed", _("Failed")
    ROLLED_BACK = "rolled_back", _("Rolled back")


class LinkRelation(models.TextChoices):
    ADDRESSES = "addresses", _("Addresses")  # the incident or problem the change fixes
    CAUSED = "caused", _("Caused")  # an incident the change caused
