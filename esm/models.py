"""Small abstract bases shared by every app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(models.Model):
    """Optimistic locking: services compare and bump ``version`` on every write."""

    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        abstract = True


class QueueFailure(models.Model):
    """A task that could not be queued after commit (the broker was down); see esm/queueing.py."""

    task = models.CharField(_("task"), max_length=200)
    arguments = models.JSONField(_("arguments"), default=dict)
    error = models.TextField(_("error"), blank=True)
    failed_at = models.DateTimeField(_("failed at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("task that could not be queued")
        verbose_name_plural = _("tasks that could not be queued")
        ordering = ["-failed_at"]

    def __str__(self):
        return f"{self.task} {self.failed_at:%Y-%m-%d %H:%M:%S}"
