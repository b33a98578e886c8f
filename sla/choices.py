from django.db import models
from django.utils.translation import gettext_lazy as _


class AgreementType(models.TextChoices):
    SLA = "sla", _("Service level agreement")
    OLA = "ola", _("Operational level agreement (team)")
    UC = "uc", _("Underpinning contract (vendor)")


class Metric(models.TextChoices):
    RESPONSE = "response", _("Response")
    RESOLUTION = "resolution", _("Resolution")


class ClockState(models.TextChoices):
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    STOPPED = "stopped", _("Stopped")


CLOCK_STATE_BADGE = {"running": "primary", "paused": "warning", "stopped": "secondary"}


class DateKind(models.TextChoices):
    CLOSED = "closed", _("Closed all day")
    OPEN = "open", _("Extra working day")


class EscalationAction(models.TextChoices):
    NOTIFY_ASSIGNEE = "notify_assignee", _("Notify the assignee")
    NOTIFY_TEAM_LEAD = "notify_team_lead", _("Notify the team lead")
    NOTIFY_SERVICE_OWNER = "notify_service_owner", _("Notify the service owner")
    REASSIGN_TEAM = "reassign_team", _("Reassign to a team")
    RAISE_PRIORITY = "raise_priority", _("Raise the priority")


class RunStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")


# A threshold of 100 % is the breach itself.
BREACH = 100
DEFAULT_WARNINGS = [50, 75, 90]

WEEKDAYS = [
    (0, _("Monday")), (1, _("Tuesday")), (2, _("Wednesday")), (3, _("Thursday")),
    (4, _("Friday")), (5, _("Saturday")), (6, _("Sunday")),
]
