from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    """Service level management: calendars, SLA clocks and breach scanning (filled by a later issue)."""

    name = "sla"
    verbose_name = _("Service level management")
