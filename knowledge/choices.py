"""Codes stored by the knowledge app; labels are chosen when shown, in the reader's language."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Audience(models.TextChoices):
    PUBLIC = "public", _("Public (requesters)")
    INTERNAL = "internal", _("Internal (service desk staff)")


class PublishingPolicy(models.TextChoices):
    INSTANT = "instant", _("Instant: an agent publishes")
    APPROVAL = "approval", _("Approval by a knowledge manager")


class ArticleState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class VersionState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    CURRENT = "current", _("Current")
    OUTDATED = "outdated", _("Outdated")


class Language(models.TextChoices):
    KOREAN = "ko", _("Korean")
    ENGLISH = "en", _("English")


class TaskType(models.TextChoices):
    REVIEW = "review", _("Review before expiry")
    FEEDBACK = "feedback", _("Feedback to answer")
    PUBLICATION = "publication", _("Publication review")


class TaskState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


# Ratings at or below this open a feedback task for the owner.
LOW_RATING = 2
