"""Changes at scale: conflict detection against 10,000 scheduled changes, and the change list at 100,000.

    .venv/bin/python -m bench.cmdb_generate --database-url postgres://…/esm_bench_cmdb_changes   # once: the estate
    .venv/bin/python -m bench.bench_changes generate [--scheduled 10000] [--total 100000]
    .venv/bin/python -m bench.bench_changes run [--repeat 30] [--cis 50]

``generate`` loads changes with set-based SQL on the CMDB bench estate (triggers off, as
``cmdb_generate``): ``--scheduled`` scheduled changes planned over the next year (1–8 hours, 3–8
CIs each among servers, applications, databases, network and storage), and closed changes in the
past three years up to ``--total`` (1–3 CIs each). An existing load (numbers ``CHG…``) is deleted
first. It also creates the bench agent (``bench_agent``) the list requests run as.

``run`` times, in-process:

* conflict detection (``changes.conflicts``) for a change touching ``--cis`` random CIs, at windows
  spread over the year: the SQL of overlapping changes on the same or neighbouring CIs, and all of
  ``conflicts_for`` (with freeze windows and the services the CIs endanger, read from the cache
  as the pages and the API do);
* the change list ``GET /api/v1/changes/`` (50 rows) through Django's test client with a token:
  newest first, planned start, a filter by type and state, and a page twenty cursors deep; with
  the SQL queries per request.

Budget (bench/README.md): p95 < 200 ms for conflicts; the change list as the incident list.
"""

import argparse
import random
import statistics
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bench.common import (
    BENCH_AGENT,
    add_database_argument,
    add_quiet_argument,
    machine_summary,
    percentile,
    setup_django,
    summarise_ms,
    wait_until_quiet,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/esm_bench_cmdb_changes"
BUDGET_MS = 200.0
CI_CLASSES = ("application", "database", "virtual_server", "physical_server", "network_device", "storage")

GENERATE_SQL = """
CREATE TEMP TABLE bench_change ON COMMIT DROP AS
SELECT g AS n,
       g <= %(scheduled)s AS scheduled,
       CASE WHEN g <= %(scheduled)s
            THEN now() + (random() * interval '365 days')
            ELSE now() - interval '3 days' - (random() * interval '1095 days') END AS planned_start,
       interval '1 hour' * (1 + floor(random() * 8)) AS duration,
       (ARRAY['normal','normal','normal','standard','emergency'])[1 + floor(random() * 5)::int] AS change_type,
       (ARRAY['low','medium','medium','high','very_high'])[1 + floor(random() * 5)::int] AS risk_level
FROM generate_series(1, %(total)s) AS g;

INSERT INTO servicedesk_ticket (
    version, kind, number, title, description, state, active, priority, opened_at, updated_at, resolved_at,
    closed_at, requester_id, organisation_id, team_id, reply_document, note_document, process_document
)
SELECT 1, 'change', 'CHG' || lpad(n::text, 7, '0'),
       'Bench change ' || n, '', CASE WHEN scheduled THEN 'scheduled' ELSE 'closed' END, scheduled, 3,
       planned_start - interval '5 days', planned_start - interval '4 days',
       CASE WHEN scheduled THEN NULL ELSE planned_start + duration END,
       CASE WHEN scheduled THEN NULL ELSE planned_start + duration END,
       %(agent)s, NULL, NULL,
       esm_search_document(NULL, NULL), esm_search_document(NULL, NULL), esm_search_document(NULL, NULL)
FROM bench_change ORDER BY n;

INSERT INTO changes_change (
    ticket_id, change_type, reason, justification, implementation_plan, backout_plan, test_plan,
    planned_start, planned_end, actual_start, actual_end, risk_answers, risk_score, risk_level, risk_reasons,
    outcome, review_notes
)
SELECT t.id, b.change_type, 'maintenance', '', 'Plan', 'Back out', '', b.planned_start, b.planned_start + b.duration,
       CASE WHEN b.scheduled THEN NULL ELSE b.planned_start END,
       CASE WHEN b.scheduled THEN NULL ELSE b.planned_start + b.duration END,
       '{}'::jsonb, 20, b.risk_level, '[]'::jsonb,
       CASE WHEN b.scheduled THEN '' ELSE 'successful' END, ''
FROM bench_change b JOIN servicedesk_ticket t ON t.number = 'CHG' || lpad(b.n::text, 7, '0');

INSERT INTO servicedesk_ticketci (ticket_id, ci_id, linked_at)
SELECT DISTINCT t.id, pool.ids[1 + floor(random() * array_length(pool.ids, 1))::int], now()
FROM servicedesk_ticket t
JOIN changes_change c ON c.ticket_id = t.id
CROSS JOIN (SELECT array_agg(ci.id) AS ids FROM cmdb_configurationitem ci JOIN cmdb_ciclass k ON k.id = ci.ci_class_id
            WHERE k.slug = ANY(%(classes)s)) pool
CROSS JOIN LATERAL generate_series(1, CASE WHEN t.active THEN 3 + (t.id %% 6) ELSE 1 + (t.id %% 3) END) s
WHERE t.kind = 'change'
ON CONFLICT DO NOTHING;

INSERT INTO servicedesk_ticketsequence (kind, last_value) VALUES ('change', %(total)s)
ON CONFLICT (kind) DO UPDATE SET last_value = EXCLUDED.last_value;
"""


def generate(args) -> None:
    from django.db import connection, transaction

    from accounts import roles
    from accounts.factories import UserFactory
    from accounts.models import User

    agent = User.objects.filter(username=BENCH_AGENT).first() or UserFactory(username=BENCH_AGENT,
                                                                             roles=[roles.AGENT])
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL session_replication_role = replica")
        cur.execute("DELETE FROM servicedesk_ticketci WHERE ticket_id IN "
                    "(SELECT id FROM servicedesk_ticket WHERE kind = 'change')")
        cur.execute("DELETE FROM changes_change")
        cur.execute("DELETE FROM servicedesk_ticket WHERE kind = 'change'")
        cur.execute(GENERATE_SQL, {"scheduled": args.scheduled, "total": args.total, "agent": agent.pk,
                                   "classes": list(CI_CLASSES)})
    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE) servicedesk_ticket")
        cur.execute("VACUUM (ANALYZE) changes_change")
        cur.execute("VACUUM (ANALYZE) servicedesk_ticketci")
        cur.execute("SELECT count(*) FILTER (WHERE active), count(*) FROM servicedesk_ticket WHERE kind = 'change'")
        scheduled, total = cur.fetchone()
        cur.execute("SELECT count(*) FROM servicedesk_ticketci")
        links = cur.fetchone()[0]
    print(f"{total} changes ({scheduled} scheduled), {links} CI links, in {time.monotonic() - started:.1f} s")


def timed(call, repeat: int) -> tuple[list[float], int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    call()
    with CaptureQueriesContext(connection) as ctx:
        call()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, len(ctx.captured_queries)


def run(args) -> None:
    from datetime import timedelta

    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from changes.conflicts import change_conflicts_many, conflicts_for
    from changes.models import Change
    from cmdb.models import ConfigurationItem
    from servicedesk.models import Ticket, TicketCI

    print(machine_summary())
    rng = random.Random(7)
    agent = User.objects.get(username=BENCH_AGENT)
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FILTER (WHERE active), count(*) FROM servicedesk_ticket WHERE kind = 'change'")
        scheduled, total = cur.fetchone()
        cur.execute("SELECT count(*) FROM cmdb_configurationitem")
        cis = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM cmdb_relationship")
        relationships = cur.fetchone()[0]
    print(f"estate: {cis} CIs, {relationships} relationships; {total} changes, {scheduled} scheduled\n")

    pool = list(ConfigurationItem.objects.filter(ci_class__slug__in=CI_CLASSES).values_list("pk", flat=True))
    now = timezone.now()
    print(f"Conflicts of a change touching {args.cis} CIs (depth 1), {args.repeat} windows over the year")
    with transaction.atomic():
        probe = Ticket.objects.create(kind="change", number="CHG9999999", title="Bench probe", state="new",
                                      priority=3, requester=agent, opened_at=now, updated_at=now)
        change = Change.objects.create(ticket=probe, planned_start=now + timedelta(days=30),
                                       planned_end=now + timedelta(days=30, hours=4))
        TicketCI.objects.bulk_create(TicketCI(ticket=probe, ci_id=pk) for pk in rng.sample(pool, args.cis))
        windows = [now + timedelta(hours=rng.uniform(0, 365 * 24)) for _ in range(args.repeat)]
        found, sql_samples, full_samples = [], [], []
        conflicts_for(probe, change)  # the services its CIs endanger: computed once, then cached
        for start in windows:
            change.planned_start, change.planned_end = start, start + timedelta(hours=4)
            began = time.perf_counter()
            found.append(len(change_conflicts_many([change])[change.pk]))
            sql_samples.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            conflicts_for(probe, change)
            full_samples.append((time.perf_counter() - began) * 1000)
        print(f"  overlapping changes (SQL)  {summarise_ms(sql_samples)}  conflicts found: "
              f"median {statistics.median(found):.0f}, max {max(found)}")
        print(f"  conflicts_for (all)        {summarise_ms(full_samples)}")
        with connection.cursor() as cur:
            from changes.conflicts import _CHANGE_SQL

            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + _CHANGE_SQL, {
                "owners": [probe.pk], "starts": [windows[0]], "ends": [windows[0] + timedelta(hours=4)], "depth": 1})
            plan = "\n".join(row[0] for row in cur.fetchall())
        transaction.set_rollback(True)
    if args.explain:
        print(plan)
    verdict = "within" if percentile(full_samples, 95) < BUDGET_MS else "OVER"
    print(f"  budget p95 < {BUDGET_MS:.0f} ms: {verdict}\n")

    token, _created = Token.objects.get_or_create(user=agent)
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}", HTTP_HOST="localhost")
    deep = {"page_size": 50}
    for _ in range(20):
        body = client.get("/api/v1/changes/", deep).json()
        deep = {"page_size": 50, "cursor": parse_qs(urlsplit(body["next"]).query)["cursor"][0]}
    variants = [
        ("newest first", {"page_size": 50}),
        ("planned start", {"page_size": 50, "ordering": "planned_start"}),
        ("scheduled normal changes", {"page_size": 50, "state": "scheduled", "change_type": "normal"}),
        ("page 21 (cursor)", deep),
    ]
    print("Change list GET /api/v1/changes/ (50 rows), in-process")
    for name, params in variants:
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/api/v1/changes/", params)
        queries = len(captured.captured_queries)
        assert response.status_code == 200 and len(response.json()["results"]) == 50, response.content[:200]
        samples, _count = timed(lambda p=params: client.get("/api/v1/changes/", p), args.repeat)
        print(f"  {name:<26} {summarise_ms(samples)}  {queries} queries")


def under_load(args) -> None:
    """``GET /api/v1/changes/`` (50 rows) as the incident list is measured (bench_api.py): wrk, 2 threads."""
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from bench.bench_api import run_wrk, start_gunicorn, stop_gunicorn, wait_for

    print(machine_summary())
    token = Token.objects.get_or_create(user=User.objects.get(username=BENCH_AGENT))[0].key
    base = f"http://127.0.0.1:{args.port}"
    server = start_gunicorn(workers=args.workers, port=args.port, database_url=args.database_url,
                            log_path=Path(f"/tmp/esm-bench-changes-{args.port}.log"))
    try:
        for name, path in (("change list, newest first", "/api/v1/changes/?page_size=50"),
                           ("incident list, for reference", "/api/v1/incidents/?page_size=50")):
            wait_for(base + path, token=token)
            result = run_wrk(base + path, token=token, duration=args.duration, connections=args.connections,
                             threads=2)
            print(f"{name:32} {result['rps']:7.1f} req/s  p50 {result['p50_us'] / 1000:.1f} ms  "
                  f"p99 {result['p99_us'] / 1000:.1f} ms  non-2xx {result.get('non2xx', 0)}  "
                  f"({args.workers} sync workers, wrk -t2 -c{args.connections} -d{args.duration}s)")
    finally:
        stop_gunicorn(server)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_argument(parser)
    add_quiet_argument(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("--scheduled", type=int, default=10000)
    gen.add_argument("--total", type=int, default=100000)
    bench = sub.add_parser("run")
    bench.add_argument("--repeat", type=int, default=30)
    bench.add_argument("--cis", type=int, default=50)
    bench.add_argument("--explain", action="store_true", help="Print the plan of the conflict query.")
    load = sub.add_parser("wrk", help="the change list under gunicorn (4 sync workers), loaded with wrk")
    load.add_argument("--workers", type=int, default=4)
    load.add_argument("--duration", type=int, default=20)
    load.add_argument("--connections", type=int, default=8)
    load.add_argument("--port", type=int, default=8793)
    args = parser.parse_args()
    if "esm_bench" in args.database_url and "changes" not in args.database_url:
        args.database_url = DEFAULT_URL
    if "bench" not in args.database_url:
        parser.error("use a bench database (its name must contain 'bench')")
    setup_django(args.database_url)
    if args.command == "generate":
        generate(args)
    elif args.command == "wrk":
        wait_until_quiet(args.wait_quiet)
        under_load(args)
    else:
        wait_until_quiet(args.wait_quiet)
        run(args)


if __name__ == "__main__":
    main()
