"""Open tickets touching CIs, which the service desk provides to the CMDB below it.

``cmdb`` sits below ``servicedesk`` (docs/architecture.md, "Apps") and cannot import the ticket
models, yet impact analysis and the CI page have to answer "what is already broken around here?".
So the service desk registers these two functions with ``cmdb.tickets`` from its
``AppConfig.ready()``, as the SLA app registers its panels with the service desk. A ticket touches
a CI when the CI is linked to it or is its service. One query per call, whatever the number of CIs.
"""

from django.db import connection

from cmdb.tickets import KINDS

from .models import Ticket, TicketCI

TICKETS = Ticket._meta.db_table
LINKS = TicketCI._meta.db_table
_TOUCHING = f"""
    SELECT tc.ci_id, tc.ticket_id FROM {LINKS} tc WHERE tc.ci_id = ANY(%(ids)s)
    UNION
    SELECT t.service_id, t.id FROM {TICKETS} t WHERE t.service_id = ANY(%(ids)s) AND t.active
"""  # noqa: S608 - table names only


def open_ticket_counts(ci_ids) -> dict[int, dict[str, int]]:
    """``{ci_id: {"incident": n, "problem": n, "change": n, "request": n}}`` for open tickets; one query."""
    ids = list(ci_ids)
    if not ids:
        return {}
    sql = f"""
        SELECT x.ci_id, t.kind, count(*)
        FROM ({_TOUCHING}) x JOIN {TICKETS} t ON t.id = x.ticket_id AND t.active
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
    sql = f"""
        SELECT DISTINCT t.id, t.number, t.kind, t.title, t.state, t.priority, t.opened_at
        FROM ({_TOUCHING}) x JOIN {TICKETS} t ON t.id = x.ticket_id AND t.active
        ORDER BY t.priority, t.opened_at DESC, t.id
        LIMIT %(limit)s
    """  # noqa: S608 - constant SQL, values bound
    with connection.cursor() as cursor:
        cursor.execute(sql, {"ids": [ci_id], "limit": limit})
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
