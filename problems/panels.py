"""What problem management adds to the incident page: its problem, the matching known errors with
"apply workaround", and "raise a problem" (a desk panel, ``servicedesk.registry``)."""

from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from servicedesk.choices import TicketKind
from servicedesk.registry import state_of, ticket_url

from .queries import incident_panel


def known_errors_desk_panel(ticket, request) -> str:
    """The "Problem and known errors" card on an incident's console page (one query)."""
    if ticket.kind != TicketKind.INCIDENT:
        return ""
    panel = incident_panel(ticket)
    problem = None
    if panel.problem:
        number = panel.problem["number"]
        problem = {**panel.problem, "state": state_of(TicketKind.PROBLEM, panel.problem["state"]),
                   "url": ticket_url(TicketKind.PROBLEM, number, "desk")}
    return mark_safe(render_to_string("problems/_incident_panel.html", {  # noqa: S308 - rendered by a template
        "ticket": ticket, "problem": problem, "suggestions": panel.suggestions, "applied": panel.applied,
        "next": request.get_full_path()}, request=request))
