from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    """Service level management: calendars, SLA/OLA/UC definitions, clocks on tickets, breach scan."""

    name = "sla"
    verbose_name = _("Service level management")

    def ready(self):
        from servicedesk import registry, signals, timeline
        from servicedesk.notifications import register_reason

        from . import panels, receivers
        from .scan import SUBJECTS

        signals.ticket_created.connect(receivers.on_created, dispatch_uid="sla.created")
        signals.ticket_state_changed.connect(receivers.on_state_changed, dispatch_uid="sla.state")
        signals.ticket_assigned.connect(receivers.on_assigned, dispatch_uid="sla.assigned")
        signals.ticket_commented.connect(receivers.on_commented, dispatch_uid="sla.commented")
        signals.ticket_fields_changed.connect(receivers.on_fields_changed, dispatch_uid="sla.fields")
        registry.register_ticket_panel("sla_clocks", panels.clocks_panel)
        registry.register_desk_panel("sla_clocks", panels.clocks_desk_panel)
        registry.register_desk_landing("sla.manage_sla", "desk:queue", "?queue=breaching")
        timeline.register_note("sla_reassigned", _("SLA %(sla)s at %(percent)s%%"))
        for reason, subject in SUBJECTS.items():
            register_reason(reason, subject, f"sla/email/{reason}.txt")
