from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    """Satisfaction surveys after resolution, low-score follow-up and CSAT reports."""

    name = "surveys"
    verbose_name = _("Satisfaction surveys")
