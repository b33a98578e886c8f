from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incident management")

    def ready(self):
        from servicedesk import registry, timeline

        from .process import INCIDENT_PROCESS, NOTES

        registry.register(INCIDENT_PROCESS)
        for code, text in NOTES.items():
            timeline.register_note(code, text)
