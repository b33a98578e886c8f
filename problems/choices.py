from django.db import models
from django.utils.translation import gettext_lazy as _


class ProblemState(models.TextChoices):
    NEW = "new", _("New")
    INVESTIGATION = "investigation", _("Under investigation")
    KNOWN_ERROR = "known_error", _("Known error")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


class RcaMethod(models.TextChoices):
    FIVE_WHYS = "five_whys", _("5 whys")
    FISHBONE = "fishbone", _("Fishbone (cause and effect)")
    TIMELINE = "timeline", _("Timeline")
    FAULT_TREE = "fault_tree", _("Fault tree")


class CauseCategory(models.TextChoices):
    SOFTWARE_DEFECT = "software_defect", _("Software defect")
    CONFIGURATION = "configuration", _("Configuration")
    CAPACITY = "capacity", _("Capacity")
    HARDWARE = "hardware", _("Hardware")
    PROCESS = "process", _("Process")
    THIRD_PARTY = "third_party", _("Third party")
    HUMAN_ERROR = "human_error", _("Human error")


# The usual fishbone headings (the 6 Ms of IT): a fishbone RCA lists causes under these.
class FishboneCategory(models.TextChoices):
    PEOPLE = "people", _("People")
    PROCESS = "process", _("Process")
    TECHNOLOGY = "technology", _("Technology")
    ENVIRONMENT = "environment", _("Environment")
    SUPPLIERS = "suppliers", _("Suppliers")
    MEASUREMENT = "measurement", _("Measurement")


class KnownErrorStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired (fix deployed)")


class CandidateState(models.TextChoices):
    OPEN = "open", _("Proposed")
    ACCEPTED = "accepted", _("Accepted")
    DISMISSED = "dismissed", _("Dismissed")


class CandidateReason(models.TextChoices):
    SAME_CI = "same_ci", _("Same configuration item")
    SIMILAR_TEXT = "similar_text", _("Very similar text")
