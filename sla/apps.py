from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    """Service level management: calendars, SLA/OLA/UC definitions, clocks on tickets, breach scan."""

    name = "sla"
    verbose_name = _("Service level management")

    def ready(self):
        from django.db.models.signals import post_save

        from servicedesk import extensions, signals
        from servicedesk.models import Ticket

        from . import panels, receivers

        signals.ticket_state_changed.connect(receivers.on_state_changed, dispatch_uid="sla.state")
        signals.ticket_assigned.connect(receivers.on_assigned, dispatch_uid="sla.assigned")
        signals.ticket_commented.connect(receivers.on_commented, dispatch_uid="sla.commented")
        signals.ticket_priority_changed.connect(receivers.on_priority_changed, dispatch_uid="sla.priority")
        post_save.connect(receivers.on_ticket_saved, sender=Ticket, dispatch_uid="sla.ticket_saved")
        extensions.register_ticket_panel("sla_clocks", panels.clocks_panel)
        extensions.register_desk_panel("sla_clocks", panels.clocks_desk_panel)
        extensions.register_desk_landing("sla.manage_sla", "desk:queue", "?queue=breaching")
