from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    """Knowledge bases and articles: versions, publishing, feedback, search and portal deflection."""

    name = "knowledge"
    verbose_name = _("Knowledge")

    def ready(self):
        from servicedesk import notifications, registry, signals, timeline

        from . import panels, receivers, search
        from .process import KNOWLEDGE_TASK_PROCESS, NOTES

        registry.register(KNOWLEDGE_TASK_PROCESS)
        for code, text in NOTES.items():
            timeline.register_note(code, text)
        registry.register_suggestion_source("article", search.article_suggestions)
        registry.register_desk_panel("knowledge_articles", panels.knowledge_desk_panel)
        signals.ticket_created.connect(receivers.on_ticket_created, dispatch_uid="knowledge.ticket_created")
        notifications.register_reason("knowledge_task", _("[%(number)s] Knowledge task: %(title)s"),
                                      "email/knowledge_task.txt")
