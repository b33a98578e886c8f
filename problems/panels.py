"""What problem management adds to the incident page: its problem, the matching known errors with
"apply workaround", and "raise a problem" (a desk panel, ``servicedesk.registry``)."""

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from servicedesk.choices import TicketKind
from servicedesk.registry import state_of, ticket_url

from .models import KnownErrorUse, ProblemIncident
from .queries import suggestions_for_incident


def known_errors_desk_panel(ticket, request) -> str:
    """The "Problem and known errors" card on an incident's console page (three queries)."""
    if ticket.kind != TicketKind.INCIDENT:
        return ""
    link = (ProblemIncident.objects.filter(incident_id=ticket.pk)
            .values("problem__ticket__number", "problem__ticket__title", "problem__ticket__state").first())
    problem = None
    if link:
        number = link["problem__ticket__number"]
        problem = {"number": number, "title": link["problem__ticket__title"],
                   "state": state_of(TicketKind.PROBLEM, link["problem__ticket__state"]),
                   "url": ticket_url(TicketKind.PROBLEM, number, "desk")}
    applied = set(KnownErrorUse.objects.filter(incident_id=ticket.pk).values_list("known_error_id", flat=True))
    suggestions = suggestions_for_incident(ticket) if ticket.active else []
    return mark_safe(render_to_string("problems/_incident_panel.html", {  # noqa: S308 - rendered by a template
        "ticket": ticket, "problem": problem, "suggestions": suggestions, "applied": applied,
        "next": request.get_full_path()}, request=request))
