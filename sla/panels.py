"""What the SLA app plugs into the lower layers' extension points (``servicedesk.extensions``)."""

from django.apps import apps

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


def register_incident_hold_reasons() -> None:
    """Hold reasons of incidents from their audit trail (pghistory events of ``incidents.Incident``).

    The incident app keeps the reason on its own row, not on the timeline; its audit trail records
    each change in order. The n-th time the reason is set is the n-th entry into "on hold". Looked up
    by model label, so the SLA app imports nothing from the incident app.
    """
    if not apps.is_installed("incidents"):
        return
    try:
        event_model = apps.get_model("incidents", "IncidentEvent")
    except LookupError:
        return
    from servicedesk.extensions import register_hold_reasons

    def reasons(ticket_ids):
        out: dict[int, list[str]] = {}
        previous: dict[int, str] = {}
        rows = (event_model.objects.filter(pgh_obj_id__in=list(ticket_ids))
                .order_by("pgh_obj_id", "pgh_id").values_list("pgh_obj_id", "on_hold_reason"))
        for ticket_id, reason in rows:
            if reason and reason != previous.get(ticket_id, ""):
                out.setdefault(ticket_id, []).append(reason)
            previous[ticket_id] = reason
        return out

    register_hold_reasons("incident", "on_hold", reasons)
