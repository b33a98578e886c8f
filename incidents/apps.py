from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incident management")

    def ready(self):
        from servicedesk.choices import TicketKind
        from servicedesk.workflow import register_workflow

        from .workflow import INCIDENT_WORKFLOW

        register_workflow(TicketKind.INCIDENT, INCIDENT_WORKFLOW)
