from django.db import models
from django.utils.translation import gettext_lazy as _


class TicketKind(models.TextChoices):
    INCIDENT = "incident", _("Incident")
    REQUEST = "request", _("Service request")
    PROBLEM = "problem", _("Problem")
    CHANGE = "change", _("Change")
    TASK = "task", _("Request task")
    KNOWLEDGE_TASK = "knowledge_task", _("Knowledge task")


# Each process's number prefix is part of its registration (servicedesk/registry.py).
NUMBER_DIGITS = 7


class Priority(models.IntegerChoices):
    CRITICAL = 1, _("P1 - Critical")
    HIGH = 2, _("P2 - High")
    MODERATE = 3, _("P3 - Moderate")
    LOW = 4, _("P4 - Low")
    PLANNING = 5, _("P5 - Planning")


PRIORITY_BADGE = {1: "danger", 2: "warning", 3: "primary", 4: "secondary", 5: "light"}


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    STATE = "state", _("State changed")
    ASSIGNED = "assigned", _("Assigned")
    ESCALATED = "escalated", _("Escalated")
    FIELDS = "fields", _("Fields changed")
    COMMENT = "comment", _("Comment")
    WORK_NOTE = "work_note", _("Work note")
    TIME = "time", _("Time recorded")
    ATTACHMENT = "attachment", _("Attachment")
    CI_LINKED = "ci_linked", _("CI linked")
    CI_UNLINKED = "ci_unlinked", _("CI unlinked")
    PARENT = "parent", _("Parent set")
    MERGED = "merged", _("Merged")
    NOTIFIED = "notified", _("Notified")
    WATCHERS = "watchers", _("Watchers changed")
    APPROVAL_REQUESTED = "approval_requested", _("Approval requested")
    APPROVAL_VOTE = "approval_vote", _("Approval decision")
    APPROVAL_STEP = "approval_step", _("Approval step decided")
    APPROVAL_DECIDED = "approval_decided", _("Approval decided")
    APPROVAL_CANCELLED = "approval_cancelled", _("Approval cancelled")
