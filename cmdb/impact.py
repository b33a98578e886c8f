"""Impact analysis: what a failed CI breaks (upstream) and what a CI depends on (downstream).

The one function the other processes call is :func:`impact_analysis` (incidents: the business
services their CIs endanger; changes: the blast radius of the CIs they touch). It is computed in
PostgreSQL with a recursive CTE; Python only sees the affected node ids.

How the traversal works (see docs/cmdb.md):

* Relationships point from the dependent CI to what it depends on ("app runs on server"). Upstream
  walks from targets to sources, downstream from sources to targets, along types that propagate
  impact only.
* The CTE walks breadth first, one row per level: the ids first reached at that depth, each with
  one parent on a shortest path (the smallest id one level closer), and the ids seen so far. A
  node is entered once, at its smallest depth, so every relationship is followed at most once,
  cycles terminate and paths are never enumerated. The depth limit stops the walk.
* Retired and disposed CIs are never entered.
* Redundancy (upstream only): relationships in a redundancy group are not followed by the CTE.
  After each walk one query reads the members of the groups the newly affected CIs belong to, and
  Python counts those still up (in service and not affected); a group with fewer than ``min_up``
  passes the failure to its CI, which seeds the next walk. Rounds repeat until no group trips (a
  handful at most: one per nested level of redundancy).
"""

import contextlib
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
    via: str = ""  # the relationship and parent it was reached through, for pages (filled by the CI page)
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
    # Only identifiers from the constants above are formatted in; every value is bound.
    # Each row of ``bfs`` is one level: the ids first reached at that depth, each with its parent
    # (the smallest id one level closer), and every id seen so far. A level's candidates are
    # checked against ``seen`` hashed once per level, so each relationship is followed once.
    return f"""
        WITH RECURSIVE seeds(id, depth) AS (
            SELECT * FROM unnest(%(seed_ids)s::bigint[], %(seed_depths)s::int[])
        ),
        bfs(depth, ids, parents, seen) AS (
            SELECT first.depth, first.ids, first.parents, first.ids || %(known)s::bigint[]
            FROM (SELECT min(depth) AS depth FROM seeds) m,
                 LATERAL (SELECT m.depth, array_agg(s.id) AS ids, array_agg(NULL::bigint) AS parents
                          FROM seeds s WHERE s.depth = m.depth) first
          UNION ALL
            SELECT b.depth + 1, level.ids, level.parents, b.seen || level.ids
            FROM bfs b
            CROSS JOIN LATERAL (
                SELECT array_agg(x.id) AS ids, array_agg(x.parent) AS parents FROM (
                    SELECT r.{move} AS id, min(r.{arrive}) AS parent
                    FROM unnest(b.ids) AS f(id)
                    JOIN cmdb_relationship r ON r.{arrive} = f.id
                    WHERE r.type_id = ANY(%(types)s)
                      {group_clause}
                      AND NOT EXISTS (SELECT 1 FROM cmdb_configurationitem c
                                      WHERE c.id = r.{move} AND c.status IN ({INACTIVE_SQL}))  -- ci_inactive_idx
                      AND r.{move} NOT IN (SELECT unnest(b.seen))
                    GROUP BY r.{move}
                  UNION ALL
                    -- Seeds found by a redundancy group deeper down join the walk at their own depth.
                    SELECT s.id, NULL FROM seeds s
                    WHERE s.depth = b.depth + 1 AND s.id NOT IN (SELECT unnest(b.seen))
                ) x
            ) level
            WHERE b.depth < %(max_depth)s
              AND (level.ids IS NOT NULL OR EXISTS (SELECT 1 FROM seeds s WHERE s.depth > b.depth + 1))
        )
        SELECT node.id, b.depth, node.parent FROM bfs b, unnest(b.ids, b.parents) AS node(id, parent)
    """  # noqa: S608


# The members of every redundancy group that a round's newly affected CIs belong to. Python counts
# the members still up (in service, not affected): the group's state can only change when one of
# its members is newly affected, and the affected set never travels to the database.
_GROUP_MEMBERS_SQL = """
    SELECT g.id, g.ci_id, g.name, g.min_up, owner.status, r.target_id, m.status
    FROM cmdb_redundancygroup g
    JOIN cmdb_configurationitem owner ON owner.id = g.ci_id
    JOIN cmdb_relationship r ON r.redundancy_group_id = g.id AND r.type_id = ANY(%(types)s)
    JOIN cmdb_configurationitem m ON m.id = r.target_id
    WHERE g.id IN (SELECT t.redundancy_group_id
                   FROM unnest(%(new)s::bigint[]) AS n(id)
                   JOIN cmdb_relationship t ON t.target_id = n.id
                   WHERE t.redundancy_group_id IS NOT NULL)
    ORDER BY g.id, r.target_id
"""


def _tripped_groups(cursor, new_ids: list[int], found: dict, types: list[int]) -> list[tuple[int, str, int]]:
    """(owner CI, group name, affected member) of each group left with fewer than min_up members up.

    The failure passes through the shallowest affected member (smallest id among equals), so the
    owner gets the depth of its shortest path.
    """
    cursor.execute(_GROUP_MEMBERS_SQL, {"new": new_ids, "types": types})
    groups: dict[int, tuple] = {}
    members_up: dict[int, set[int]] = {}
    via: dict[int, int] = {}
    for group_id, owner, name, min_up, owner_status, member, member_status in cursor.fetchall():
        groups[group_id] = (owner, name, min_up, owner_status)
        up = members_up.setdefault(group_id, set())  # a member related twice still counts once
        if member in found:
            best = via.get(group_id)
            if best is None or (found[member][0], member) < (found[best][0], best):
                via[group_id] = member
        elif member_status not in INACTIVE_STATUSES:
            up.add(member)
    return [(owner, name, via[group_id]) for group_id, (owner, name, min_up, owner_status) in groups.items()
            if len(members_up[group_id]) < min_up and group_id in via
            and owner_status not in INACTIVE_STATUSES and owner not in found]


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
            new_ids = []  # the walk never enters a node found in an earlier round
            for pk, node_depth, parent in cursor.fetchall():
                new_ids.append(pk)
                if pk in seeds:
                    found[pk] = seeds[pk]
                elif pk not in found:
                    found[pk] = (node_depth, parent)
            if direction != UPSTREAM:
                break
            seeds = {}
            for ci_id, name, via in _tripped_groups(cursor, new_ids, found, types):
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
        # The chosen nodes by id, and every business service (a few hundred CIs, by ci_class_name_idx)
        # kept when found: the whole found set never travels to the database again.
        cursor.execute(
            "SELECT c.id, c.name, c.ci_class_id, c.status, c.environment, c.criticality "
            "FROM cmdb_configurationitem c WHERE c.id = ANY(%(chosen)s) OR c.ci_class_id = ANY(%(services)s)",
            {"chosen": list(chosen), "services": list(service_classes)},
        )
        rows = [row for row in cursor.fetchall() if row[0] in found]
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


# --- Cached answers for ticket pages ------------------------------------------------------------
# A ticket page asks for the services its CIs endanger on every view; the answer changes only when
# the CMDB does. It is cached under the sorted CI ids and the CMDB's generation, a number every
# committed change of a CI, relationship, redundancy group, relationship type or class moves on
# (signals in apps.py; the import's set-based writes call ``cmdb_changed`` themselves). The TTL
# is a backstop for writes made outside the application.

GENERATION_KEY = "cmdb:generation"
AFFECTED_TTL = 600


def cmdb_changed() -> None:
    """Move the CMDB's generation on now (for readers in this transaction) and once it commits (for
    readers who computed from the old state meanwhile)."""
    from django.db import transaction

    _bump_generation()
    transaction.on_commit(_bump_generation)


def _bump_generation() -> None:
    import time

    from django.core.cache import cache

    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not there (first change, or evicted): start from a value never used before
        cache.set(GENERATION_KEY, time.time_ns(), None)
    except Exception:  # noqa: BLE001, S110 - without the cache, answers are computed, not cached
        pass


def generation():
    """The CMDB's current generation (None without a cache): part of the key of what is cached from it."""
    from django.core.cache import cache

    try:
        return cache.get(GENERATION_KEY, 0)
    except Exception:  # noqa: BLE001 - no cache, nothing cached to go stale
        return None


def affected_services_cached(ci_ids) -> list[ImpactNode]:
    """:func:`affected_services` of ``ci_ids``, from the cache while the CMDB has not changed."""
    from django.core.cache import cache

    ids = sorted({int(pk) for pk in ci_ids})
    if not ids:
        return []
    key = "cmdb:affected:" + ",".join(map(str, ids))
    try:
        found = cache.get_many([GENERATION_KEY, key])
    except Exception:  # noqa: BLE001 - the cache is an optimisation: compute without it
        return affected_services(ids)
    generation = found.get(GENERATION_KEY, 0)
    cached = found.get(key)
    if cached is not None and cached[0] == generation:
        return cached[1]
    services = affected_services(ids)
    with contextlib.suppress(Exception):  # the answer stands without the cache
        cache.set(key, (generation, services), AFFECTED_TTL)
    return services
