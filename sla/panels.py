"""What the SLA app plugs into the service desk's panel providers (``servicedesk.registry``)."""

from django.utils import timezone
from django.utils.safestring import mark_safe

from esm.batch import read_prepared
from servicedesk import page_cache

from .models import Clock
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


def _panel_reads(ids: dict) -> dict:
    return {"clocks": Clock.objects.filter(ticket_id=ids["ticket"]).order_by(
        "ticket_id", "type", "metric", "team_id", "segment").values_list(
        *PANEL_INPUTS)}


# Everything the clocks card shows is made from these columns and the minute it is shown in.
PANEL_INPUTS = ("id", "type", "metric", "state", "target_seconds", "started_at", "stopped_at", "running_since",
                "paused_since", "elapsed_seconds", "paused_seconds", "due_at", "breached", "pauses",
                "team__name", "definition__name", "definition__warn_at", "definition__updated_at",
                "definition__calendar_id", "definition__calendar__updated_at")


def clocks_desk_panel(ticket, request) -> str:
    """The clocks card on a ticket's console page: target, time left or overdue, pauses, colour.

    Its HTML changes with the clocks' rows and, for running clocks, the minute: it is kept in the
    cache under both (``servicedesk.page_cache``), read with one prepared statement.
    """
    from django.template.loader import render_to_string

    rows = read_prepared(("sla-desk-panel",), _panel_reads, {"ticket": ticket.pk})["clocks"]
    minute = timezone.now().replace(second=0, microsecond=0)
    key = page_cache.fragment_key("sla-panel", rows, minute.isoformat())
    html = page_cache.get(key)
    if html is None:
        views = clocks_for_tickets([ticket.pk])[ticket.pk] if rows else []
        html = render_to_string("sla/desk/_clocks_panel.html", {"views": views, "ticket": ticket}, request=request)
        page_cache.keep(key, html, ttl=120)
    return mark_safe(html)  # noqa: S308 - rendered by the template above
