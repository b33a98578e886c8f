"""Open work touching CIs, as the layer above provides it.

``cmdb`` sits below ``servicedesk`` (docs/architecture.md, "Apps"), so it cannot import tickets.
The service desk registers the two functions below from its ``AppConfig.ready()``
(``servicedesk/ci_tickets.py``); without it the CMDB simply shows no open work.
"""

from collections.abc import Callable

# The kinds the CMDB reports counts for, zero when there are none.
KINDS = ("incident", "problem", "change", "request")

_providers: dict[str, Callable] = {}


def register(*, counts: Callable, tickets: Callable) -> None:
    """``counts(ci_ids) -> {ci_id: {kind: n}}``; ``tickets(ci_id, limit=) -> [row dict]``."""
    _providers["counts"] = counts
    _providers["tickets"] = tickets


def open_ticket_counts(ci_ids) -> dict[int, dict[str, int]]:
    """``{ci_id: {"incident": n, "problem": n, "change": n, "request": n}}`` for open tickets; one query."""
    ids = list(ci_ids)
    if not ids or "counts" not in _providers:
        return {}
    return _providers["counts"](ids)


def open_tickets(ci_id: int, *, limit: int = 50) -> list[dict]:
    """The open tickets touching one CI, most urgent first: number, kind, title, state, priority, opened_at."""
    if "tickets" not in _providers:
        return []
    return _providers["tickets"](ci_id, limit=limit)
