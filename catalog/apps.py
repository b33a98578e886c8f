from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    """The service catalog and service requests: items with versioned forms, orders (REQ), approvals
    through the approval engine, and fulfilment tasks (TASK)."""

    name = "catalog"
    verbose_name = _("Service catalog and requests")

    def ready(self):
        from . import process

        process.register()
