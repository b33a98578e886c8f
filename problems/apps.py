from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    """Problem management and the known-error database (filled by a later issue)."""

    name = "problems"
    verbose_name = _("Problem management")
