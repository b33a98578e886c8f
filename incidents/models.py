"""Incident details (one-to-one with the shared ticket) and the priority matrix."""

import pghistory
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from servicedesk.choices import Priority
from servicedesk.models import Ticket

from .choices import Channel, Impact, OnHoldReason, ResolutionCode, Urgency


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class Incident(models.Model):
    ticket = models.OneToOneField(Ticket, primary_key=True, on_delete=models.CASCADE, related_name="incident")
    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices, default=Impact.LOW)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices, default=Urgency.MEDIUM)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.PORTAL)
    on_hold_reason = models.CharField(_("on-hold reason"), max_length=20, choices=OnHoldReason.choices, blank=True)
    resolution_code = models.CharField(_("resolution code"), max_length=30, choices=ResolutionCode.choices,
                                       blank=True)
    resolution_notes = models.TextField(_("resolution notes"), blank=True)
    major = models.BooleanField(_("major incident"), default=False)
    merged_into = models.ForeignKey(Ticket, verbose_name=_("merged into"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="merged_incidents")

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        permissions = [("manage_major_incident", _("Can run major incidents"))]
        indexes = [models.Index(fields=["major"], condition=Q(major=True), name="incident_major_idx")]

    def __str__(self):
        return str(self.ticket)


@pghistory.track(pghistory.InsertEvent(), pghistory.UpdateEvent(), pghistory.DeleteEvent())
class PriorityMatrix(models.Model):
    """Impact × urgency → priority. Editable by administrators; defaults to the ITIL 3×3 (P1–P5)."""

    impact = models.PositiveSmallIntegerField(_("impact"), choices=Impact.choices)
    urgency = models.PositiveSmallIntegerField(_("urgency"), choices=Urgency.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices)

    class Meta:
        ordering = ["impact", "urgency"]
        verbose_name = _("priority matrix entry")
        verbose_name_plural = _("priority matrix")
        constraints = [models.UniqueConstraint(fields=["impact", "urgency"], name="priority_matrix_unique")]

    def __str__(self):
        return f"{self.get_impact_display()} × {self.get_urgency_display()} → P{self.priority}"


# ITIL default: the sum of impact and urgency picks the priority.
DEFAULT_MATRIX = {(i, u): i + u - 1 for i in (1, 2, 3) for u in (1, 2, 3)}


def priority_for(impact: int, urgency: int) -> int:
    row = PriorityMatrix.objects.filter(impact=impact, urgency=urgency).values_list("priority", flat=True).first()
    return row if row is not None else DEFAULT_MATRIX[(impact, urgency)]
