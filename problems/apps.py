from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    """Problem management and the known-error database , with root-cause analysis and proactive candidates."""

    name = "problems"
    verbose_name = _("Problem management")
