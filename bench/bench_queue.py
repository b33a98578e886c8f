"""Server time and query count of the console queue page ``/desk/`` (50 rows per page).

    .venv/bin/python -m bench.bench_queue [--requests 50] [--deep 20] [--only TEXT] [--database-url URL]

In-process, with Django's test client signed in as the bench agent: each request goes through the
whole middleware stack, the view, the database and the template, so the time is the server's time
for the page without the network. For each case the first page and a deep page (reached by
following ``--deep`` "Next" links) are each requested ``--requests`` times; the script prints
p50/p95/max, the SQL queries per request and their database time, flags query counts that differ
between the pages, and EXPLAIN ANALYZEs the main query of every case (plan of the slowest in full).

Budget (bench/README.md): p95 < 100 ms at 1,000,000 tickets, fixed query count.
"""

import argparse
import html
import json
import os
import re
import statistics
import time

from bench.common import (
    add_database_argument,
    add_quiet_argument,
    bench_agent,
    machine_summary,
    percentile,
    print_profile,
    setup_django,
    summarise_ms,
    wait_until_quiet,
)

NEXT_LINK_RE = re.compile(r'rel="next" href="[^"]*?cursor=([A-Za-z0-9_\-]+)"')
ROW_RE = re.compile(r">(INC\d{7,})<")
BUDGET_P95_MS = 100.0


def cases(front_line_team_id: int) -> list[tuple[str, dict]]:
    team = str(front_line_team_id)
    return [
        ("open, priority", {"queue": "open"}),
        ("open, newest", {"queue": "open", "ordering": "-opened_at"}),
        ("my teams, priority", {"queue": "my_teams"}),
        ("mine, priority", {"queue": "mine"}),
        ("unassigned, priority", {"queue": "unassigned"}),
        ("major, priority", {"queue": "major"}),
        ("all, newest", {"queue": "all", "ordering": "-opened_at"}),
        ("all, recently updated", {"queue": "all", "ordering": "-updated_at"}),
        ("all, priority", {"queue": "all", "ordering": "priority"}),
        ("open, state=in_progress", {"queue": "open", "state": "in_progress"}),
        ("open, team=Service Desk L1", {"queue": "open", "team_id": team}),
        ("open, priority=2", {"queue": "open", "priority": "2"}),
        ("open, team+state+priority", {"queue": "open", "team_id": team, "state": "new", "priority": "3"}),
        ("open, q=프린터", {"queue": "open", "q": "프린터"}),
        ("all, q=서버 장애, newest", {"queue": "all", "q": "서버 장애", "ordering": "-opened_at"}),
        ("all, q=printer, newest", {"queue": "all", "q": "printer", "ordering": "-opened_at"}),
    ]


def main_query(captured: list[dict]) -> str | None:
    """The page's ticket query: the one that fetches page_size + 1 tickets."""
    for query in captured:
        sql = query["sql"]
        if 'FROM "servicedesk_ticket"' in sql and "LIMIT 51" in sql:
            return sql
    return None


def explain(sql: str, *, analyze_text: bool = False) -> tuple[float, float, str]:
    """(planning ms, execution ms, one-line summary of nodes and indexes) or the full text plan."""
    from django.db import connection

    with connection.cursor() as cur:
        if analyze_text:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            return 0.0, 0.0, "\n".join(row[0] for row in cur.fetchall())
        cur.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql)
        raw = cur.fetchone()[0]
    plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]
    nodes = []

    def walk(node):
        label = node["Node Type"]
        if node.get("Index Name"):
            label += f" {node['Index Name']}"
        elif node.get("Relation Name"):
            label += f" {node['Relation Name']}"
        nodes.append(label)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan["Plan"])
    interesting = [n for n in nodes if any(k in n for k in ("Scan", "Sort", "Hash Join", "Nested"))]
    return plan["Planning Time"], plan["Execution Time"], " > ".join(interesting)


def run(args) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from accounts.models import Team
    from bench.world import FRONT_LINE_TEAM

    client = Client()
    client.force_login(bench_agent())
    url = reverse("desk:queue")
    front_line = Team.objects.get(name=FRONT_LINE_TEAM).pk

    def get(params: dict):
        response = client.get(url, params)
        if response.status_code != 200:
            raise SystemExit(f"{url} {params} answered {response.status_code}")
        return response

    print(machine_summary())
    print("\ntiming = wall time per request; cpu = this process's CPU time per request (p50), which excludes the")
    print("database and waiting for a CPU; db ms = the SQL time Django measured for one request.")
    print(f"{'case':<34} {'page':<8} {'timing':<60} {'cpu ms':>7} {'queries':>7} {'db ms':>7} {'rows':>5}")
    results = []
    for name, params in cases(front_line):
        if args.only and args.only not in name:
            continue
        # Walk to the deep page by following "Next" links, as a person paging through would.
        deep_params, reached = dict(params), 0
        for _ in range(args.deep):
            match = NEXT_LINK_RE.search(get(deep_params).content.decode())
            if not match:
                break
            deep_params = {**params, "cursor": html.unescape(match.group(1))}
            reached += 1
        pages = [("first", params)] + ([(f"next×{reached}", deep_params)] if reached else [])
        counts = set()
        for page_name, page_params in pages:
            started = time.perf_counter()
            for _ in range(3):  # warm caches
                get(page_params)
            # A page that takes seconds gets 10 samples, not 50: enough to show it, without minutes of load.
            slow = (time.perf_counter() - started) / 3 > 1.0
            samples, cpu_samples = [], []
            for _ in range(min(args.requests, 10) if slow else args.requests):
                started, cpu_started = time.perf_counter(), time.process_time()
                get(page_params)
                samples.append((time.perf_counter() - started) * 1000)
                cpu_samples.append((time.process_time() - cpu_started) * 1000)
            with CaptureQueriesContext(connection) as ctx:
                body = get(page_params).content.decode()
            db_ms = sum(float(q["time"]) for q in ctx.captured_queries) * 1000
            rows = len(set(ROW_RE.findall(body)))
            counts.add(len(ctx))
            sql = main_query(ctx.captured_queries)
            results.append({"case": name, "page": page_name, "samples": samples, "queries": len(ctx),
                            "sql": sql, "p95": percentile(samples, 95)})
            print(f"{name:<34} {page_name:<8} {summarise_ms(samples):<60} {statistics.median(cpu_samples):>7.1f} "
                  f"{len(ctx):>7} {db_ms:>7.1f} {rows:>5}", flush=True)
        if len(counts) > 1:
            print(f"  !! query count differs between pages of '{name}': {sorted(counts)}")
        elif reached < args.deep:
            print(f"  (only {reached} next pages exist)")

    if args.profile:
        name, params = cases(front_line)[0]
        print_profile(f"{url} {name}", lambda: get(params))

    print(f"\nload average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    over = [r for r in results if r["p95"] >= BUDGET_P95_MS]
    print(f"budget p95 < {BUDGET_P95_MS:.0f} ms: " + (
        "met by every page" if not over else
        f"MISSED by {len(over)} of {len(results)} pages: " + ", ".join(f"{r['case']} ({r['page']})" for r in over)))
    print(f"query counts seen: {sorted({r['queries'] for r in results})}")

    print("\nmain query plans (EXPLAIN ANALYZE, first page of each case): planning ms, execution ms, plan")
    for r in results:
        if r["sql"] and r["page"] == "first":
            planning, execution, summary = explain(r["sql"])
            print(f"  {r['case']:<34} {planning:6.1f} {execution:7.1f}  {summary}")
    slowest = max((r for r in results if r["sql"]), key=lambda r: r["p95"], default=None)
    if slowest:
        print(f"\nslowest case: {slowest['case']} ({slowest['page']}), p95 {slowest['p95']:.1f} ms; its main query:")
        print(slowest["sql"])
        print(explain(slowest["sql"], analyze_text=True)[2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_database_argument(parser)
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page (default 50)")
    parser.add_argument("--deep", type=int, default=20, help="next links to follow for the deep page (default 20)")
    parser.add_argument("--only", help="run only the cases whose name contains this text")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the first case in-process: where its time goes")
    add_quiet_argument(parser)
    args = parser.parse_args()
    setup_django(args.database_url, ALLOWED_HOSTS="testserver,localhost,127.0.0.1")
    wait_until_quiet(args.wait_quiet)
    run(args)


if __name__ == "__main__":
    main()
