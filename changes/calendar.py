"""The change calendar as iCalendar (RFC 5545), for calendar clients subscribed with a feed token.

Times are written in UTC (``Z``): every client shows them in its own zone, and the feed needs no
VTIMEZONE definitions (docs/architecture.md, rule 9).
"""

from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from .choices import ChangeState, ChangeType, RiskLevel


def ics_feed(request, tickets, freezes) -> bytes:
    from .api.serializers import ChangeUrls

    calendar = Calendar()
    calendar.add("prodid", "-//ESM//Change calendar//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("Changes"))
    host = request.get_host().split(":")[0] or "esm"
    now = timezone.now()
    urls = ChangeUrls(request)
    for ticket in tickets:
        change = ticket.change
        event = Event()
        event.add("uid", f"{ticket.number}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", change.planned_start)
        event.add("dtend", change.planned_end)
        event.add("summary", f"{ticket.number} {ticket.title}")
        lines = [
            _("Type: %(value)s") % {"value": ChangeType(change.change_type).label},
            _("State: %(value)s") % {"value": ChangeState(ticket.state).label},
        ]
        if change.risk_level:
            lines.append(_("Risk: %(value)s") % {"value": RiskLevel(change.risk_level).label})
        if ticket.team_id:
            lines.append(_("Team: %(value)s") % {"value": ticket.team.name})
        if ticket.service_id:
            lines.append(_("Service: %(value)s") % {"value": ticket.service.name})
        event.add("description", "\n".join(lines))
        event.add("url", urls(ticket.number))
        event.add("categories", [str(ChangeType(change.change_type).label)])
        if ticket.state == ChangeState.CANCELLED:
            event.add("status", "CANCELLED")
        calendar.add_component(event)
    for window in freezes:
        event = Event()
        event.add("uid", f"freeze-{window.pk}@{host}")
        event.add("dtstamp", now)
        event.add("dtstart", window.starts_at)
        event.add("dtend", window.ends_at)
        scope = window.service.name if window.service_id else _("all changes")
        event.add("summary", _("Change freeze: %(name)s (%(scope)s)") % {"name": window.name, "scope": scope})
        if window.reason:
            event.add("description", window.reason)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
