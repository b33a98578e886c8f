"""Open work touching CIs: the service desk's tickets, read with SQL on its tables.

DESIGN.md puts ``cmdb`` below ``servicedesk``, so the CMDB cannot import the ticket models. Impact
analysis and the CI page still have to answer "what is already broken around here?". We read the
two tables the service desk owns — ``servicedesk_ticket`` (kind, number, title, state, priority,
active, service_id) and ``servicedesk_ticketci`` (ticket_id, ci_id) — with plain SQL: read-only,
one query per call, whatever the number of CIs. ``tests/cmdb/test_tickets.py`` pins the contract,
so a rename in the service desk fails a test instead of a page. A ticket touches a CI when the CI
is linked to it or is its service.
"""

from django.apps import apps
from django.db import connection

KINDS = ("incident", "problem", "change", "request")

_TOUCHING = """
    SELECT tc.ci_id, tc.ticket_id FROM servicedesk_ticketci tc WHERE tc.ci_id = ANY(%(ids)s)
    UNION
    SELECT t.service_id, t.id FROM servicedesk_ticket t WHERE t.service_id = ANY(%(ids)s) AND t.active
"""


def _available() -> bool:
    return apps.is_installed("servicedesk")


def open_ticket_counts(ci_ids) -> dict[int, dict[str, int]]:
    """``{ci_id: {"incident": n, "problem": n, "change": n, "request": n}}`` for open tickets; one query."""
    ids = list(ci_ids)
    if not ids or not _available():
        return {}
    sql = f"""
        SELECT x.ci_id, t.kind, count(*)
        FROM ({_TOUCHING}) x JOIN servicedesk_ticket t ON t.id = x.ticket_id AND t.active
        GROUP BY x.ci_id, t.kind
    """  # noqa: S608 - constant SQL, values bound
    counts: dict[int, dict[str, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ids": ids})
        for ci_id, kind, n in cursor.fetchall():
            counts.setdefault(ci_id, dict.fromkeys(KINDS, 0))[kind] = n
    return counts


def open_tickets(ci_id: int, *, limit: int = 50) -> list[dict]:
    """The open tickets touching one CI, most urgent first: number, kind, title, state, priority, opened_at."""
    if not _available():
        return []
    sql = f"""
        SELECT DISTINCT t.id, t.number, t.kind, t.title, t.state, t.priority, t.opened_at
        FROM ({_TOUCHING}) x JOIN servicedesk_ticket t ON t.id = x.ticket_id AND t.active
        ORDER BY t.priority, t.opened_at DESC, t.id
        LIMIT %(limit)s
    """  # noqa: S608 - constant SQL, values bound
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ids": [ci_id], "limit": limit})
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
