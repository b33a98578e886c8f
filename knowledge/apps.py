from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KnowledgeConfig(AppConfig):
    """Knowledge bases and articles: versions, publishing, feedback, search and portal deflection."""

    name = "knowledge"
    verbose_name = _("Knowledge")
