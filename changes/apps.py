from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChangesConfig(AppConfig):
    """Change enablement: RFCs, risk, CAB approval and the schedule (filled by a later issue)."""

    name = "changes"
    verbose_name = _("Change management")
