"""Impact analysis: what a failed CI breaks (upstream) and what a CI depends on (downstream).

The one function the other processes call is :func:`impact_analysis` (incidents: the business
services their CIs endanger; changes: the blast radius of the CIs they touch). It is computed in
PostgreSQL with a recursive CTE; Python only sees the affected node ids.

How the traversal works (see docs/cmdb.md):

* Relationships point from the dependent CI to what it depends on ("app runs on server"). Upstream
  walks from targets to sources, downstream from sources to targets, along types that propagate
  impact only.
* The CTE's rows are ``(node id, depth)`` and it uses ``UNION``, which drops any row already
  produced: a node is expanded at most once per depth, so the work is bounded by depth × edges,
  cycles terminate, and paths are never enumerated. The depth limit stops the walk; the answer
  keeps each node's smallest depth and one parent on a shortest path (a parent pointer).
* Retired and disposed CIs are never entered.
* Redundancy (upstream only): relationships in a redundancy group are not followed by the CTE.
  After each walk one query counts, per touched group, the members still up (in service and not
  affected); a group with fewer than ``min_up`` passes the failure to its CI, which seeds the next
  walk. Rounds repeat until no group trips (a handful at most: one per nested level of redundancy).
"""

from dataclasses import dataclass, field

from django.db import connection

from .attributes import ClassCatalogue
from .choices import BUSINESS_SERVICE_CLASS, INACTIVE_STATUSES, LifecycleStatus
from .models import ConfigurationItem, RelationshipType
from .tickets import open_ticket_counts

DEFAULT_DEPTH = 10
MAX_DEPTH = 25
DEFAULT_NODE_LIMIT = 2000
MAX_ROUNDS = 20

UPSTREAM = "upstream"
DOWNSTREAM = "downstream"

_WALK = {
    # (column we arrive from, column we move to, whether grouped relationships are held back)
    UPSTREAM: ("target_id", "source_id", True),
    DOWNSTREAM: ("source_id", "target_id", False),
}


@dataclass
class ImpactNode:
    id: int
    depth: int
    parent_id: int | None
    name: str = ""
    class_slug: str = ""
    class_name: str = ""
    status: str = ""
    environment: str = ""
    criticality: int = 3
    is_service: bool = False
    via_group: str = ""
    open_incidents: int = 0
    open_problems: int = 0
    open_changes: int = 0
    open_requests: int = 0

    @property
    def open_total(self) -> int:
        return self.open_incidents + self.open_problems + self.open_changes + self.open_requests

    @property
    def status_label(self) -> str:
        return str(dict(LifecycleStatus.choices).get(self.status, self.status))


@dataclass
class ImpactResult:
    roots: list[int]
    direction: str
    depth: int
    nodes: list[ImpactNode]
    total: int
    truncated: bool
    services: list[ImpactNode] = field(default_factory=list)

    @property
    def by_criticality(self) -> dict[int, int]:
        counts = {1: 0, 2: 0, 3: 0, 4: 0}
        for service in self.services:
            counts[service.criticality] = counts.get(service.criticality, 0) + 1
        return counts


INACTIVE_SQL = ", ".join(f"'{s}'" for s in INACTIVE_STATUSES)


def _walk_sql(direction: str) -> str:
    arrive, move, hold_groups = _WALK[direction]
    group_clause = "AND r.redundancy_group_id IS NULL" if hold_groups else ""
    # Only identifiers from the constants above are formatted in; every value is bound. Nodes found
    # in earlier rounds ("known") are a CTE joined by hash, not a long array compared row by row.
    return f"""
        WITH RECURSIVE known(id) AS (SELECT unnest(%(known)s::bigint[])),
        walk(id, depth) AS (
            SELECT s.id, s.depth FROM unnest(%(seed_ids)s::bigint[], %(seed_depths)s::int[]) AS s(id, depth)
          UNION
            SELECT r.{move}, w.depth + 1
            FROM walk w
            JOIN cmdb_relationship r ON r.{arrive} = w.id
            WHERE w.depth < %(max_depth)s
              AND r.type_id = ANY(%(types)s)
              {group_clause}
              AND NOT EXISTS (SELECT 1 FROM cmdb_configurationitem c
                              WHERE c.id = r.{move} AND c.status IN ({INACTIVE_SQL}))  -- ci_inactive_idx
              AND NOT EXISTS (SELECT 1 FROM known k WHERE k.id = r.{move})
        ),
        best AS (SELECT id, min(depth) AS depth FROM walk GROUP BY id),
        -- One parent per node (the smallest id one level closer), found from the parents' side:
        -- the edges leaving the found nodes, not every edge arriving at them (a shared switch or
        -- database has tens of thousands of those, nearly all from nodes outside the answer).
        parent AS (
            SELECT r.{move} AS id, p.depth + 1 AS depth, min(p.id) AS parent_id
            FROM best p
            JOIN cmdb_relationship r ON r.{arrive} = p.id
            WHERE r.type_id = ANY(%(types)s) {group_clause}
            GROUP BY r.{move}, p.depth
        )
        SELECT b.id, b.depth, e.parent_id
        FROM best b
        LEFT JOIN parent e ON e.id = b.id AND e.depth = b.depth AND b.depth > 0
    """  # noqa: S608


# Groups touched by the affected set whose members still up (in service, not affected) are fewer
# than min_up; their CI is affected next. The affected set is a CTE joined by hash.
_GROUPS_SQL = f"""
    WITH affected(id) AS (SELECT DISTINCT unnest(%(affected)s::bigint[])),
    touched AS (
        SELECT DISTINCT r.redundancy_group_id AS id
        FROM cmdb_relationship r JOIN affected a ON a.id = r.target_id
        WHERE r.redundancy_group_id IS NOT NULL
    )
    SELECT g.id, g.ci_id, g.name, min(r.target_id) FILTER (WHERE a.id IS NOT NULL) AS via
    FROM touched t
    JOIN cmdb_redundancygroup g ON g.id = t.id
    JOIN cmdb_configurationitem owner ON owner.id = g.ci_id
    JOIN cmdb_relationship r ON r.redundancy_group_id = g.id AND r.type_id = ANY(%(types)s)
    JOIN cmdb_configurationitem m ON m.id = r.target_id
    LEFT JOIN affected a ON a.id = r.target_id
    WHERE owner.status NOT IN ({INACTIVE_SQL})
      AND NOT EXISTS (SELECT 1 FROM affected x WHERE x.id = g.ci_id)
    GROUP BY g.id, g.ci_id, g.name, g.min_up
    HAVING count(*) FILTER (WHERE m.status NOT IN ({INACTIVE_SQL}) AND a.id IS NULL) < g.min_up
"""  # noqa: S608


def _propagating_types() -> list[int]:
    return list(RelationshipType.objects.filter(propagates_impact=True).values_list("id", flat=True))


def _traverse(seed_ids: list[int], direction: str, depth: int) -> tuple[dict[int, tuple[int, int | None]], dict]:
    """All affected node ids → (depth, parent id); and the groups that passed impact on, by node id."""
    types = _propagating_types()
    found: dict[int, tuple[int, int | None]] = {}
    via_group: dict[int, str] = {}
    seeds = {pk: (0, None) for pk in dict.fromkeys(seed_ids)}
    sql = _walk_sql(direction)
    with connection.cursor() as cursor:
        for _round in range(MAX_ROUNDS):
            params = {
                "seed_ids": list(seeds), "seed_depths": [d for d, _p in seeds.values()],
                "max_depth": depth, "types": types, "known": list(found),
            }
            cursor.execute(sql, params)
            for pk, node_depth, parent in cursor.fetchall():
                if pk in seeds:
                    found[pk] = seeds[pk]
                elif pk not in found:
                    found[pk] = (node_depth, parent)
            if direction != UPSTREAM:
                break
            cursor.execute(_GROUPS_SQL, {"affected": list(found), "types": types})
            seeds = {}
            for _group_id, ci_id, name, via in cursor.fetchall():
                node_depth = found[via][0] + 1
                if node_depth <= depth and ci_id not in found and ci_id not in seeds:
                    seeds[ci_id] = (node_depth, via)
                    via_group[ci_id] = name
            if not seeds:
                break
    return found, via_group


def impact_analysis(cis, *, direction: str = UPSTREAM, depth: int = DEFAULT_DEPTH,
                    limit: int = DEFAULT_NODE_LIMIT, with_tickets: bool = True) -> ImpactResult:
    """Everything affected when ``cis`` fail (upstream), or everything they depend on (downstream).

    ``cis`` is one CI, a CI id or an iterable of either (several failing together can trip a
    redundancy group one alone would not). Nodes come sorted by depth, criticality and name; at
    most ``limit`` of them besides the business services, which are always all there.
    """
    if direction not in _WALK:
        raise ValueError(f"direction must be {UPSTREAM!r} or {DOWNSTREAM!r}")
    depth = max(1, min(int(depth), MAX_DEPTH))
    if isinstance(cis, (ConfigurationItem, int)):
        cis = [cis]
    roots = [c.pk if isinstance(c, ConfigurationItem) else int(c) for c in cis]
    if not roots:
        return ImpactResult([], direction, depth, [], 0, False)
    found, via_group = _traverse(roots, direction, depth)

    catalogue = ClassCatalogue()
    service_root = catalogue.by_slug.get(BUSINESS_SERVICE_CLASS)
    service_classes = catalogue.descendants(service_root.pk) if service_root else set()
    ordered = sorted(found, key=lambda pk: (found[pk][0], pk))
    chosen = set(ordered[:limit]) | set(roots)
    with connection.cursor() as cursor:
        cursor.execute(
            # The found ids are joined (by hash), not compared as an array against every row.
            "SELECT c.id, c.name, c.ci_class_id, c.status, c.environment, c.criticality "
            "FROM cmdb_configurationitem c JOIN unnest(%(found)s::bigint[]) AS f(id) ON f.id = c.id "
            "WHERE c.id = ANY(%(chosen)s) OR c.ci_class_id = ANY(%(services)s)",
            {"chosen": list(chosen), "found": list(found), "services": list(service_classes)},
        )
        rows = cursor.fetchall()
    counts = open_ticket_counts([r[0] for r in rows]) if with_tickets else {}
    nodes = []
    for pk, name, class_id, status, environment, criticality in rows:
        node_depth, parent = found[pk]
        ci_class = catalogue.classes.get(class_id)
        tickets = counts.get(pk, {})
        nodes.append(ImpactNode(
            id=pk, depth=node_depth, parent_id=parent, name=name, class_slug=ci_class.slug if ci_class else "",
            class_name=ci_class.name if ci_class else "", status=status, environment=environment,
            criticality=criticality, is_service=class_id in service_classes, via_group=via_group.get(pk, ""),
            open_incidents=tickets.get("incident", 0), open_problems=tickets.get("problem", 0),
            open_changes=tickets.get("change", 0), open_requests=tickets.get("request", 0),
        ))
    nodes.sort(key=lambda n: (n.depth, n.criticality, n.name.lower(), n.id))
    services = [n for n in nodes if n.is_service]
    return ImpactResult(roots=roots, direction=direction, depth=depth, nodes=nodes, total=len(found),
                        truncated=len(found) > len(nodes), services=services)


def affected_services(ci_ids, *, depth: int = DEFAULT_DEPTH, with_tickets: bool = False) -> list[ImpactNode]:
    """The business services endangered when ``ci_ids`` fail, most critical first (incidents)."""
    result = impact_analysis(list(ci_ids), direction=UPSTREAM, depth=depth, limit=0, with_tickets=with_tickets)
    return sorted(result.services, key=lambda n: (n.criticality, n.name.lower(), n.id))


def blast_radius(ci_ids, *, depth: int = DEFAULT_DEPTH) -> dict:
    """For a change: how many services its CIs put at risk, by criticality, and which."""
    services = affected_services(ci_ids, depth=depth)
    counts = {1: 0, 2: 0, 3: 0, 4: 0}
    for service in services:
        counts[service.criticality] = counts.get(service.criticality, 0) + 1
    return {"count": len(services), "by_criticality": counts, "services": services}
