"""Conflicts of a change: other planned work in the same window on the same or connected CIs, and freezes.

* **Changes.** Another change that is not finished (closed, rejected, cancelled) conflicts when its
  planned window overlaps this one and it touches one of this change's CIs, or a CI connected to
  one through CMDB relationships in either direction, up to ``CHANGE_CONFLICT_DEPTH`` steps
  (default 1: direct neighbours). One SQL statement per call, for one change or many: a bounded
  neighbour expansion (recursive CTE with a ``LATERAL`` step over both relationship indexes) joined
  to the touched CIs of changes whose windows overlap (bench/README.md, "changes").
* **Freeze windows.** An active freeze overlapping the window conflicts when it is global or set on
  the change's own service or on a business service its CIs endanger (``cmdb.impact``).

Each conflict carries facts (codes, ids, names as stored) and ``text`` renders them in the reader's
language (docs/architecture.md, rule 10).
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cmdb.impact import affected_services_cached
from cmdb.models import ConfigurationItem

from .models import FreezeWindow

MAX_REASONS = 5  # per conflicting change: enough to say why, bounded for pages and the API
MAX_CONFLICTS = 200


def conflict_depth() -> int:
    return max(0, min(int(getattr(settings, "CHANGE_CONFLICT_DEPTH", 1)), 5))


@dataclass
class Conflict:
    kind: str  # "change" or "freeze"
    facts: dict = field(default_factory=dict)

    @property
    def text(self) -> str:
        return conflict_text(self)


# Changes overlapping the windows of the seed changes on the same or connected CIs. ``seeds`` are
# (ticket id, start, end); the expansion remembers which seed CI each neighbour came from.
_CHANGE_SQL = """
WITH RECURSIVE seed(owner_id, ci_id, starts, ends) AS (
    SELECT s.owner_id, tc.ci_id, s.starts, s.ends
    FROM unnest(%(owners)s::bigint[], %(starts)s::timestamptz[], %(ends)s::timestamptz[])
         AS s(owner_id, starts, ends)
    JOIN servicedesk_ticketci tc ON tc.ticket_id = s.owner_id
),
near(owner_id, ci_id, origin_id, depth) AS (
    SELECT owner_id, ci_id, ci_id, 0 FROM seed
  UNION
    SELECT n.owner_id, x.ci_id, n.origin_id, n.depth + 1
    FROM near n
    CROSS JOIN LATERAL (
        SELECT r.target_id AS ci_id FROM cmdb_relationship r WHERE r.source_id = n.ci_id
        UNION ALL
        SELECT r.source_id FROM cmdb_relationship r WHERE r.target_id = n.ci_id
    ) x
    WHERE n.depth < %(depth)s
),
closest AS (
    SELECT DISTINCT ON (owner_id, ci_id) owner_id, ci_id, origin_id, depth
    FROM near ORDER BY owner_id, ci_id, depth, origin_id
),
windows AS (
    SELECT DISTINCT owner_id, starts, ends FROM seed
)
SELECT w.owner_id, c.ticket_id, t.number, t.title, t.state, c.planned_start, c.planned_end,
       cl.ci_id, cl.origin_id, cl.depth
FROM windows w
JOIN changes_change c ON c.planned_start < w.ends AND c.planned_end > w.starts AND c.ticket_id <> w.owner_id
JOIN servicedesk_ticket t ON t.id = c.ticket_id AND t.active
JOIN servicedesk_ticketci tc ON tc.ticket_id = c.ticket_id
JOIN closest cl ON cl.owner_id = w.owner_id AND cl.ci_id = tc.ci_id
ORDER BY w.owner_id, c.planned_start, c.ticket_id, cl.depth, cl.ci_id
"""


def change_conflicts_many(changes) -> dict[int, list[Conflict]]:
    """Conflicting changes for each of ``changes`` (Change rows with their windows), in one query."""
    seeds = [c for c in changes if c.planned_start and c.planned_end]
    result: dict[int, list[Conflict]] = {c.pk: [] for c in changes}
    if not seeds:
        return result
    with connection.cursor() as cursor:
        cursor.execute(_CHANGE_SQL, {
            "owners": [c.pk for c in seeds], "starts": [c.planned_start for c in seeds],
            "ends": [c.planned_end for c in seeds], "depth": conflict_depth(),
        })
        rows = cursor.fetchall()
    names = dict(ConfigurationItem.objects.filter(
        pk__in={r[7] for r in rows} | {r[8] for r in rows}).values_list("pk", "name")) if rows else {}
    found: dict[tuple[int, int], Conflict] = {}
    for owner, other, number, title, state, start, end, ci_id, origin_id, depth in rows:
        conflict = found.get((owner, other))
        if conflict is None:
            if len(result[owner]) >= MAX_CONFLICTS:
                continue
            conflict = Conflict("change", {
                "code": "change_overlap", "ticket_id": other, "number": number, "title": title, "state": state,
                "planned_start": start.isoformat(), "planned_end": end.isoformat(), "reasons": [], "ci_count": 0,
            })
            found[(owner, other)] = conflict
            result[owner].append(conflict)
        conflict.facts["ci_count"] += 1
        if len(conflict.facts["reasons"]) < MAX_REASONS:
            if depth == 0:
                reason = {"code": "same_ci", "ci_id": ci_id, "ci": names.get(ci_id, "")}
            else:
                reason = {"code": "connected_ci", "ci_id": ci_id, "ci": names.get(ci_id, ""),
                          "via_id": origin_id, "via": names.get(origin_id, ""), "depth": depth}
            conflict.facts["reasons"].append(reason)
    return result


def endangered_service_ids(ticket, ci_ids) -> set[int]:
    ids = {node.id for node in affected_services_cached(ci_ids)} if ci_ids else set()
    if ticket.service_id:
        ids.add(ticket.service_id)
    return ids


def freeze_conflicts(ticket, change, *, service_ids: set[int] | None = None) -> list[Conflict]:
    """Active freeze windows over the change's planned window: global ones, and those on a service it
    names or endangers."""
    if not (change.planned_start and change.planned_end):
        return []
    if service_ids is None:
        from .services import ci_ids_of

        service_ids = endangered_service_ids(ticket, ci_ids_of(ticket))
    windows = (FreezeWindow.objects.filter(active=True, starts_at__lt=change.planned_end,
                                           ends_at__gt=change.planned_start)
               .filter(Q(service__isnull=True) | Q(service_id__in=service_ids))
               .select_related("service").order_by("starts_at", "id"))
    return [Conflict("freeze", {
        "code": "freeze_service" if w.service_id else "freeze_global", "freeze_id": w.pk, "name": w.name,
        "starts_at": w.starts_at.isoformat(), "ends_at": w.ends_at.isoformat(),
        "service_id": w.service_id, "service": w.service.name if w.service_id else "",
    }) for w in windows]


def conflicts_for(ticket, change) -> list[Conflict]:
    """Every conflict of one change: freezes first (they block scheduling), then other changes."""
    return [*freeze_conflicts(ticket, change), *change_conflicts_many([change])[change.pk]]


def conflict_text(conflict: Conflict) -> str:
    facts = conflict.facts
    code = facts.get("code")
    if code == "freeze_global":
        return _("Freeze window “%(name)s” applies to every change.") % facts
    if code == "freeze_service":
        return _("Freeze window “%(name)s” on %(service)s, which this change names or endangers.") % facts
    if code == "change_overlap":
        parts = []
        for reason in facts.get("reasons", []):
            if reason["code"] == "same_ci":
                parts.append(_("both touch %(ci)s") % reason)
            else:
                parts.append(ngettext("it touches %(ci)s, connected to %(via)s",
                                      "it touches %(ci)s, %(depth)s steps from %(via)s", reason["depth"]) % reason)
        more = facts.get("ci_count", 0) - len(parts)
        text = _("%(number)s is planned in an overlapping window: %(why)s") % {
            "number": facts["number"], "why": "; ".join(parts)}
        if more > 0:
            text += " " + ngettext("(and %(n)s more CI)", "(and %(n)s more CIs)", more) % {"n": more}
        return text
    return str(code)
