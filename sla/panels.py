"""What the SLA app plugs into the service desk's panel providers (``servicedesk.registry``)."""

from .queries import clocks_for_tickets


def clock_data(view) -> dict:
    clock = view.clock
    return {
        "type": clock.type,
        "metric": clock.metric,
        "definition": clock.definition.name,
        "team": clock.team.name if clock.team_id else None,
        "state": clock.state,
        "target_seconds": clock.target_seconds,
        "elapsed_seconds": view.elapsed,
        "remaining_seconds": view.remaining,
        "percent": view.percent,
        "colour": view.colour,
        "due_at": clock.due_at,
        "breached": clock.breached,
        "started_at": clock.started_at,
        "stopped_at": clock.stopped_at,
        "paused_since": clock.paused_since,
        "pauses": clock.pauses,
    }


def clocks_panel(tickets, request=None) -> dict:
    """Clocks of ``tickets`` (a fixed number of queries), as data for serializers and pages."""
    views = clocks_for_tickets([t.pk for t in tickets])
    return {pk: [clock_data(v) for v in found] for pk, found in views.items()}


def clocks_desk_panel(ticket, request) -> str:
    """The clocks card on a ticket's console page: target, time left or overdue, pauses, colour."""
    from django.template.loader import render_to_string

    views = clocks_for_tickets([ticket.pk])[ticket.pk]
    return render_to_string("sla/desk/_clocks_panel.html", {"views": views, "ticket": ticket}, request=request)
