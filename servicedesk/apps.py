from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicedeskConfig(AppConfig):
    name = "servicedesk"
    verbose_name = _("Service desk")

    def ready(self):
        from cmdb.models import MANAGE_CMDB

        from . import extensions

        # The CMDB sits below the service desk and cannot register itself here.
        extensions.register_desk_landing(MANAGE_CMDB, "desk-cmdb:list")
