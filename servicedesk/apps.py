from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "servicedesk"
    verbose_name = _("Service desk")

    def ready(self):
        from cmdb import tickets

        from . import ci_tickets

        # The CMDB below asks for open work per CI through this hook (it cannot import tickets).
        tickets.register(counts=ci_tickets.open_ticket_counts, tickets=ci_tickets.open_tickets)
