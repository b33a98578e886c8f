from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChangesConfig(AppConfig):
    """Change enablement: records, lifecycles per type, risk, CAB approval, conflicts and the calendar."""

    name = "changes"
    verbose_name = _("Change management")

    def ready(self):
        from servicedesk import notifications, registry, timeline

        from .process import CHANGE_PROCESS, NOTES

        registry.register(CHANGE_PROCESS)
        from .panels import linked_changes, linked_changes_desk_panel

        registry.register_ticket_panel("linked_changes", linked_changes)
        # Change managers start on their changes (servicedesk.registry.desk_landing).
        registry.register_desk_landing("changes.manage_changes", "desk-changes:list")
        registry.register_desk_panel("linked_changes", linked_changes_desk_panel)
        for code, text in NOTES.items():
            timeline.register_note(code, text)
        notifications.register_reason("change_state", _("[%(number)s] Change is now %(state_label)s: %(title)s"),
                                      "email/change_state.txt")
        notifications.register_reason("change_managed", _("[%(number)s] You are the change manager: %(title)s"),
                                      "email/change_managed.txt")
        notifications.register_reason("change_approved_waiting",
                                      _("[%(number)s] Approved, waiting for you to move it on: %(title)s"),
                                      "email/change_approved_waiting.txt")
