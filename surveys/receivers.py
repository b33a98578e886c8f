"""The lifecycle signal that starts a survey (connected in ``SurveysConfig.ready``).

``ticket_state_changed`` arrives after commit. A move *into* a resolved state from one that is not
(an incident's Resolved, not Resolved → Closed) plans the survey; ``survey_schedule`` decides
whether the policy wants one. The resolution has committed already, so a failure here is logged
rather than turned into an error page for the agent who resolved the ticket.
"""

import logging

from accounts.models import User
from servicedesk.models import Ticket

from . import services

log = logging.getLogger("surveys")


def on_state_changed(sender, ticket_id, source, target, at=None, actor_id=None, **kwargs):
    ticket = Ticket.objects.filter(pk=ticket_id).select_related("requester").first()
    if ticket is None or not services.is_resolved_state(ticket.kind, target) \
            or services.is_resolved_state(ticket.kind, source):
        return
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    try:
        services.survey_schedule(ticket=ticket, actor=actor, resolved_at=at)
    except Exception:
        log.exception("Could not plan the survey of ticket %s", ticket_id)
