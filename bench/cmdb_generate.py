"""Generate a CMDB shaped like a real estate: 100,000 CIs and about 300,000 relationships.

    .venv/bin/python -m bench.cmdb_generate [--database-url postgres://…/esm_bench_cmdb] [--scale 1.0]

Layers, top to bottom (relationships point from the dependent CI to what it depends on):
business services → applications (and app → app, app → cloud, app → software) → databases and
virtual servers (some grouped in clusters of 6 that keep 4 up) → physical servers → access
switches (two uplinks each, a redundancy group keeping 1) → distribution switches (two uplinks,
group keeping 1) → two core switches; storage behind physical servers; 44,000 end-user devices
on access switches; software on devices and servers. Rows go in with COPY, triggers off
(``session_replication_role = replica``): history of generated data is not the point. Idempotent:
an existing estate (source ``bench``) is deleted first.
"""

import argparse
import io
import json
import random
import time

from bench.common import add_database_argument, setup_django

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/esm_bench_cmdb"
SHAPE = {  # class slug: count at scale 1
    "business_service": 300, "application": 3000, "database": 2000, "physical_server": 6000,
    "virtual_server": 30000, "network_device": 1200, "storage": 1000, "cloud_resource": 2000,
    "container_cluster": 500, "end_user_device": 44000, "software": 10000,
}
CORES, DISTRIBUTION = 2, 40


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_argument(parser)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    if "esm_bench" in args.database_url and "cmdb" not in args.database_url:
        args.database_url = DEFAULT_URL
    setup_django(args.database_url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    generate(scale=args.scale, seed=args.seed)


def copy_rows(cursor, table: str, columns: list[str], rows) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v).replace("\t", " ").replace("\n", " ") for v in row))
        buffer.write("\n")
    buffer.seek(0)
    cursor.copy_from(buffer, table, columns=columns)


def generate(*, scale: float, seed: int) -> None:
    from django.db import connection, transaction

    from accounts import roles
    from accounts.factories import TeamFactory, UserFactory
    from cmdb.models import CIClass, RelationshipType

    rng = random.Random(seed)
    started = time.monotonic()
    classes = {c.slug: c.pk for c in CIClass.objects.all()}
    types = {t.slug: t.pk for t in RelationshipType.objects.all()}
    teams = [TeamFactory(name=name).pk for name in ("Network", "Unix", "Windows", "Database", "Apps", "Workplace")]
    UserFactory(username="bench_config", password="bench-password", roles=[roles.CONFIGURATION_MANAGER])
    counts = {slug: max(2, int(n * scale)) for slug, n in SHAPE.items()}

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("DELETE FROM cmdb_relationship WHERE source_id IN (SELECT id FROM cmdb_configurationitem "
                    "WHERE source = 'bench')")
        cur.execute("DELETE FROM cmdb_redundancygroup WHERE ci_id IN (SELECT id FROM cmdb_configurationitem "
                    "WHERE source = 'bench')")
        cur.execute("DELETE FROM cmdb_configurationitem WHERE source = 'bench'")

        def attributes(slug, i):
            if slug in ("physical_server", "virtual_server"):
                return {"os": rng.choice(["linux", "linux", "linux", "windows"]), "cpu_count": rng.choice([2, 4, 8, 16]),
                        "memory_gb": rng.choice([8, 16, 32, 64])}
            if slug == "network_device":
                return {"device_type": "switch", "ports": 48}
            if slug == "cloud_resource":
                return {"provider": rng.choice(["aws", "azure", "gcp"]), "region": "ap-northeast-2"}
            if slug == "end_user_device":
                return {"device_type": rng.choice(["laptop", "desktop"]), "os": "windows"}
            if slug == "database":
                return {"engine": rng.choice(["postgresql", "mysql", "oracle"])}
            return {}

        def name(slug, i):
            if slug == "network_device":
                if i < CORES:
                    return f"core-sw-{i:02d}"
                return f"dist-sw-{i:03d}" if i < CORES + DISTRIBUTION else f"access-sw-{i:04d}"
            return f"{slug.replace('_', '-')}-{i:05d}"

        now = "2026-01-01 00:00:00+00"
        rows = []
        for slug, n in counts.items():
            for i in range(n):
                env = "production" if rng.random() < 0.7 else rng.choice(["staging", "test", "development"])
                crit = 1 if slug == "business_service" and i < 30 else rng.choice([2, 3, 3, 4])
                rows.append((now, now, 1, name(slug, i), classes[slug], "in_use", env, crit,
                             f"DC{rng.randint(1, 3)}", "", json.dumps(attributes(slug, i)), "bench", f"{slug}:{i}",
                             "", "", "", "", "", rng.choice(teams), now))
        copy_rows(cur, "cmdb_configurationitem",
                  ["created_at", "updated_at", "version", "name", "ci_class_id", "status", "environment", "criticality",
                   "location", "description", "attributes", "source", "external_id", "asset_tag", "serial_number",
                   "vendor", "model_name", "contract", "support_team_id", "last_seen_at"], rows)
        cur.execute("SELECT external_id, id FROM cmdb_configurationitem WHERE source = 'bench'")
        ids = dict(cur.fetchall())

        def ci(slug, i):
            return ids[f"{slug}:{i}"]

        def pick(slug):
            return ci(slug, rng.randrange(counts[slug]))

        edges: dict[tuple[int, int, int], int | None] = {}
        groups: list[tuple[int, str, int]] = []  # (ci, name, min_up)
        grouped: list[tuple[int, int, int, int]] = []  # (source, target, type, group index)

        def link(source, target, kind, group=None):
            if source != target:
                edges.setdefault((source, target, types[kind]), group)

        cores = [ci("network_device", i) for i in range(CORES)]
        dists = [ci("network_device", i) for i in range(CORES, CORES + DISTRIBUTION)]
        access = [ci("network_device", i) for i in range(CORES + DISTRIBUTION, counts["network_device"])]

        def redundant(owner, targets, kind, name, min_up):
            groups.append((owner, name, min_up))
            for target in targets:
                if owner != target:
                    grouped.append((owner, target, types[kind], len(groups) - 1))

        for d in dists:
            redundant(d, cores, "connects_to", "core uplinks", 1)
        for a in access:
            redundant(a, rng.sample(dists, 2), "connects_to", "uplinks", 1)
        for i in range(counts["physical_server"]):
            server = ci("physical_server", i)
            redundant(server, rng.sample(access, 2), "connects_to", "uplinks", 1)
            link(server, pick("storage"), "depends_on")
            link(server, pick("software"), "depends_on")
        for i in range(counts["virtual_server"]):
            vm = ci("virtual_server", i)
            link(vm, pick("physical_server"), "runs_on")
            link(vm, pick("software"), "depends_on")
        for i in range(counts["container_cluster"]):
            redundant(ci("container_cluster", i), [pick("virtual_server") for _ in range(6)], "contains", "nodes", 4)
        for i in range(counts["database"]):
            db = ci("database", i)
            link(db, pick("virtual_server"), "runs_on")
            link(db, pick("physical_server"), "runs_on")
        for i in range(counts["application"]):
            app = ci("application", i)
            if rng.random() < 0.4:
                link(app, pick("container_cluster"), "runs_on")
            for _ in range(4):
                link(app, pick("virtual_server"), "runs_on")
            link(app, pick("database"), "depends_on")
            link(app, pick("application"), "depends_on")  # cycles happen, as in real estates
            link(app, pick("cloud_resource"), "depends_on")
            for _ in range(2):
                link(app, pick("software"), "depends_on")
        for i in range(counts["business_service"]):
            for _ in range(rng.randint(8, 22)):
                link(ci("business_service", i), pick("application"), "depends_on")
        for i in range(counts["end_user_device"]):
            device = ci("end_user_device", i)
            link(device, rng.choice(access), "connects_to")
            for _ in range(3):
                link(device, pick("software"), "depends_on")
        for i in range(counts["storage"]):
            link(ci("storage", i), rng.choice(dists), "connects_to")

        copy_rows(cur, "cmdb_redundancygroup", ["created_at", "updated_at", "ci_id", "name", "min_up", "description"],
                  [(now, now, owner, name, min_up, "") for owner, name, min_up in groups])
        cur.execute("SELECT ci_id, name, id FROM cmdb_redundancygroup WHERE ci_id = ANY(%s)", [list(set(g[0] for g in groups))])
        group_ids = {(c, n): pk for c, n, pk in cur.fetchall()}
        for source, target, kind, index in grouped:
            owner, name, _min = groups[index]
            edges[(source, target, kind)] = group_ids[(owner, name)]
        copy_rows(cur, "cmdb_relationship", ["created_at", "updated_at", "source_id", "target_id", "type_id",
                                             "redundancy_group_id", "description", "import_source"],
                  [(now, now, s, t, k, g, "", "bench") for (s, t, k), g in edges.items()])
    with connection.cursor() as cur:
        cur.execute("ANALYZE cmdb_configurationitem")
        cur.execute("ANALYZE cmdb_relationship")
        cur.execute("ANALYZE cmdb_redundancygroup")
    print(f"{len(rows):,} CIs, {len(edges):,} relationships, {len(groups):,} redundancy groups "
          f"in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
