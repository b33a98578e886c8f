from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProblemsConfig(AppConfig):
    """Problem management and the known-error database, with root-cause analysis and proactive candidates."""

    name = "problems"
    verbose_name = _("Problem management")

    def ready(self):
        from servicedesk import registry, timeline

        from .panels import known_errors_desk_panel
        from .process import NOTES, PROBLEM_PROCESS
        from .queries import known_error_suggestions_for_portal

        registry.register(PROBLEM_PROCESS)
        registry.register_desk_panel("known_errors", known_errors_desk_panel)
        registry.register_suggestion_source("known_error", known_error_suggestions_for_portal)
        # Problem managers start on their problems (servicedesk.registry.desk_landing).
        registry.register_desk_landing("problems.manage_problems", "desk-problems:list")
        for code, text in NOTES.items():
            timeline.register_note(code, text)
