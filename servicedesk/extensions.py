"""Extension points that higher layers fill in from their ``AppConfig.ready()``.

The service desk and the process apps sit below ``sla/`` (DESIGN.md, "Layout") and must not import
it; yet the incident API embeds a ticket's SLA clocks, and the queue shows the time left. So the
lower layer asks this registry, and whoever provides the data registers here:

- ``ticket_panels``: name → ``fn(tickets, request) -> dict[ticket_id, data]`` for serializers and
  pages that embed data from higher layers (the SLA app registers ``"sla_clocks"``). Functions take
  a list of tickets and answer in a fixed number of queries.
- ``desk_panels``: name → ``fn(ticket, request) -> str``: HTML cards for a ticket's console page
  (the SLA app shows the clocks); ``desk_panels_html`` joins them for the page's template.
- ``hold_reasons``: kind → ``(state, fn(ticket_ids) -> dict[ticket_id, list[str]])``: the reason of
  each successive entry into ``state`` (for incidents, on hold *awaiting caller* or *vendor*), so
  SLA clocks derived from the timeline can tell which holds pause them.
- ``desk_landings``: (permission, URL name, query) of the console page a specialist role starts
  on (the CMDB for configuration managers, "Breaching soon" for service level managers).
"""

from collections.abc import Callable, Iterable

TicketPanel = Callable[[list, object], dict]
HoldReasons = Callable[[Iterable[int]], dict[int, list[str]]]

ticket_panels: dict[str, TicketPanel] = {}
desk_panels: dict[str, Callable[[object, object], str]] = {}
hold_reasons: dict[str, tuple[str, HoldReasons]] = {}
desk_landings: dict[str, tuple[str, str]] = {}


def register_ticket_panel(name: str, fn: TicketPanel) -> None:
    ticket_panels[name] = fn


def ticket_panel(name: str, tickets: list, request=None) -> dict:
    """Data of panel ``name`` per ticket id; empty when no app provides it."""
    fn = ticket_panels.get(name)
    if fn is None or not tickets:
        return {}
    return fn(tickets, request)


def register_desk_panel(name: str, fn: Callable[[object, object], str]) -> None:
    desk_panels[name] = fn


def desk_panels_html(ticket, request) -> str:
    """Every registered console panel for ``ticket``, in registration order (already-escaped HTML)."""
    from django.utils.safestring import mark_safe

    return mark_safe("".join(fn(ticket, request) for fn in desk_panels.values()))  # noqa: S308 - rendered templates


def register_hold_reasons(kind: str, state: str, fn: HoldReasons) -> None:
    hold_reasons[kind] = (state, fn)


def register_desk_landing(permission: str, url_name: str, query: str = "") -> None:
    desk_landings[permission] = (url_name, query)


def desk_landing(user) -> str | None:
    """The console page where ``user``'s work starts, or None for "My work".

    Only a person whose permissions point at exactly one specialist page lands there; agents, team
    leads and people holding several such roles (administrators) start on their own work.
    """
    from django.urls import reverse

    pages = [(name, query) for permission, (name, query) in desk_landings.items() if user.has_perm(permission)]
    if len(pages) != 1:
        return None
    name, query = pages[0]
    return reverse(name) + query


def desk_landing_url(user) -> str:
    from django.urls import reverse

    return desk_landing(user) or reverse("desk:queue")
