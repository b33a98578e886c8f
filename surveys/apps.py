from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    """Satisfaction surveys after resolution, low-score follow-up and CSAT reports."""

    name = "surveys"
    verbose_name = _("Satisfaction surveys")

    def ready(self):
        from servicedesk import signals
        from servicedesk.notifications import register_reason

        from . import receivers

        signals.ticket_state_changed.connect(receivers.on_state_changed, dispatch_uid="surveys.state")
        register_reason("survey_invitation", _("[%(number)s] How did we do? %(title)s"),
                        "surveys/email/survey_invitation.txt")
        register_reason("survey_low_score", _("[%(number)s] Low satisfaction score (%(score)s of 5): %(title)s"),
                        "surveys/email/survey_low_score.txt")
