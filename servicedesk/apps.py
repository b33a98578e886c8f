from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "servicedesk"
    verbose_name = _("Service desk")

    def ready(self):
        from cmdb import tickets
        from cmdb.models import MANAGE_CMDB

        from . import ci_tickets, registry

        # The CMDB sits below the service desk and cannot register itself here; it asks for open
        # work per CI through its own hook.
        registry.register_desk_landing(MANAGE_CMDB, "desk-cmdb:list")
        tickets.register(counts=ci_tickets.open_ticket_counts, tickets=ci_tickets.open_tickets)

        # A process lists "approvals" in its panels to show its tickets' approval on its console page.
        from .views.approvals import approval_panel

        registry.register_desk_panel("approvals", approval_panel)
