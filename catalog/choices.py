from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class ItemState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    RETIRED = "retired", _("Retired")


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("Everyone")
    # Only members of the listed organisations or groups.
    RESTRICTED = "restricted", _("Selected organisations and groups")


class FormState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    SUPERSEDED = "superseded", _("Superseded")


class QuestionType(models.TextChoices):
    SHORT_TEXT = "short_text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    NUMBER = "number", _("Number")
    DATE = "date", _("Date")
    CHOICE = "choice", _("Single choice")
    MULTI_CHOICE = "multi_choice", _("Multiple choice")
    YES_NO = "yes_no", _("Yes / no")
    PERSON = "person", _("Person")
    CI = "ci", _("Configuration item")
    ATTACHMENT = "attachment", _("Attachment")


class ApproverSource(models.TextChoices):
    MANAGER = "manager", _("The requested-for person's manager")
    GROUP = "group", _("An approver group")
    PEOPLE = "people", _("Named people")
    ANSWER = "answer", _("A person named in an answer")


class TimeoutAction(models.TextChoices):
    NONE = "", _("Wait")
    APPROVE = "approve", _("Approve")
    REJECT = "reject", _("Reject")
    ESCALATE = "escalate", _("Escalate")


class RequestedItemState(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    IN_FULFILMENT = "in_fulfilment", _("In fulfilment")
    COMPLETE = "complete", _("Complete")
    INCOMPLETE = "incomplete", _("Incomplete")
    SKIPPED = "skipped", _("Skipped")
    CANCELLED = "cancelled", _("Cancelled")


class RequestState(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    IN_FULFILMENT = "in_fulfilment", _("In fulfilment")
    COMPLETE = "complete", _("Complete")
    INCOMPLETE = "incomplete", _("Incomplete")
    SKIPPED = "skipped", _("Skipped")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


class TaskState(models.TextChoices):
    WAITING = "waiting", _("Waiting for other tasks")
    OPEN = "open", pgettext_lazy("task state", "Open")  # ready to start, not yet started
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED_COMPLETE = "closed_complete", _("Closed complete")
    CLOSED_INCOMPLETE = "closed_incomplete", _("Closed incomplete")
    CLOSED_SKIPPED = "closed_skipped", _("Closed skipped")
