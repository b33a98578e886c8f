from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incident management")

    def ready(self):
        from servicedesk.choices import TicketKind
        from servicedesk.extensions import register_hold_reasons
        from servicedesk.workflow import register_workflow

        from .choices import IncidentState
        from .queries import hold_reasons
        from .workflow import INCIDENT_WORKFLOW

        register_workflow(TicketKind.INCIDENT, INCIDENT_WORKFLOW)
        # Why each hold happened (awaiting caller, vendor, change) is on the incident row, not the
        # shared timeline; SLA clocks derived from the timeline ask for it through this hook.
        register_hold_reasons(TicketKind.INCIDENT, IncidentState.ON_HOLD, hold_reasons)
