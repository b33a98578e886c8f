"""Problem management at scale: known-error suggestions for incidents, and the recurring-incident detector.

    .venv/bin/python -m bench.bench_problems [--database-url URL] generate [--known-errors 50000]
    .venv/bin/python -m bench.bench_problems [--database-url URL] run [--incidents 50] [--repeat 3]

``generate`` loads known errors set-based (one INSERT … SELECT over generate_series; English and
Korean texts drawn from a vocabulary, a third on a CI, a third on a service, categories spread), so
their search documents are computed by PostgreSQL as in production. ``run`` times
``problems.queries.suggestions_for_incident`` for incidents picked across the table (each its title,
description, CIs, service and category), and one run of ``candidates_detect`` over the default window
(rolled back, so runs repeat), with the plan's index and the window's incident count.

Budgets (bench/README.md): suggestions for one incident against 50,000 known errors at 1,000,000
incidents, p95 < 100 ms; the detector's cost follows the window's incidents, not the table.
"""

import argparse
import re
import time

from bench.common import (
    add_database_argument,
    add_quiet_argument,
    machine_summary,
    percentile,
    setup_django,
    summarise_ms,
    wait_until_quiet,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/esm_bench_problems"
BUDGET_MS = 100.0

SUBJECTS = ["VPN", "Outlook", "printer", "ERP report", "Wi-Fi", "laptop", "Teams call", "SAP login", "file share",
            "메일서버", "그룹웨어", "프린터", "무선랜", "결재 문서", "화상회의", "인증서", "급여 시스템", "노트북"]
SYMPTOMS = ["disconnects every few minutes", "shows error 0x80070005", "is very slow in the morning",
            "fails after the update", "cannot connect from home", "freezes when opening attachments",
            "접속이 자주 끊깁니다", "오류가 발생합니다", "속도가 매우 느립니다", "업데이트 후 실행되지 않습니다",
            "로그인이 되지 않습니다", "첨부파일이 열리지 않습니다"]
CAUSES = ["expired certificate", "driver defect", "gateway timeout", "full disk", "wrong DNS entry",
          "라이선스 만료", "메모리 부족", "설정 오류"]
WORKAROUNDS = ["Restart the client and sign in again.", "Use the web version meanwhile.",
               "재부팅 후 다시 시도하세요.", "웹 버전을 사용하세요."]


def _sql_array(values) -> str:
    return "ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def generate(args) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM problems_knownerror")
        existing = cursor.fetchone()[0]
        missing = args.known_errors - existing
        if missing <= 0:
            print(f"{existing} known errors already there")
            return
        started = time.monotonic()
        cursor.execute(f"""
            INSERT INTO problems_knownerror (created_at, updated_at, version, title, symptoms, root_cause, workaround,
                                             workaround_public, status, category_id)
            SELECT now() - mod(g, 700) * interval '1 day', now(), 1,
                   s.subject || ' ' || s.symptom || ' (' || g || ')',
                   s.subject || ': ' || s.symptom || '. ' || s.symptom2, s.cause, s.workaround,
                   mod(g, 3) = 0, CASE WHEN mod(g, 10) = 0 THEN 'retired' ELSE 'active' END,
                   (SELECT id FROM servicedesk_category ORDER BY id OFFSET mod(g, 7) LIMIT 1)
            FROM generate_series(1, %s) g,
            LATERAL (SELECT ({_sql_array(SUBJECTS)})[1 + mod(g * 7, {len(SUBJECTS)})] AS subject,
                            ({_sql_array(SYMPTOMS)})[1 + mod(g * 13, {len(SYMPTOMS)})] AS symptom,
                            ({_sql_array(SYMPTOMS)})[1 + mod(g * 17, {len(SYMPTOMS)})] AS symptom2,
                            ({_sql_array(CAUSES)})[1 + mod(g * 3, {len(CAUSES)})] AS cause,
                            ({_sql_array(WORKAROUNDS)})[1 + mod(g, {len(WORKAROUNDS)})] AS workaround) s
        """, [missing])
        cursor.execute("""
            INSERT INTO problems_knownerror_cis (knownerror_id, configurationitem_id)
            SELECT ke.id, ci.ids[1 + (ke.id % array_length(ci.ids, 1))]
            FROM problems_knownerror ke,
                 (SELECT array_agg(id) AS ids FROM (SELECT id FROM cmdb_configurationitem ORDER BY id LIMIT 5000) c) ci
            WHERE ke.id % 3 = 0 AND array_length(ci.ids, 1) > 0
            ON CONFLICT DO NOTHING
        """)
        cursor.execute("""
            INSERT INTO problems_knownerror_services (knownerror_id, configurationitem_id)
            SELECT ke.id, s.ids[1 + (ke.id % array_length(s.ids, 1))]
            FROM problems_knownerror ke,
                 (SELECT array_agg(DISTINCT service_id) AS ids FROM (
                     SELECT service_id FROM servicedesk_ticket WHERE service_id IS NOT NULL LIMIT 10000) t) s
            WHERE ke.id % 3 = 1 AND array_length(s.ids, 1) > 0
            ON CONFLICT DO NOTHING
        """)
    with connection.cursor() as cursor:  # outside the transaction: VACUUM also flushes the GIN pending list
        for table in ("problems_knownerror", "problems_knownerror_cis", "problems_knownerror_services"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"{missing} known errors generated in {time.monotonic() - started:.1f} s")


def run(args) -> None:
    from django.db import connection, transaction

    from problems.queries import suggestions_for_incident
    from problems.services import CLUSTERS_SQL, candidates_detect
    from servicedesk.models import Ticket

    print(machine_summary())
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM problems_knownerror")
        known_errors = cursor.fetchone()[0]
        cursor.execute("SELECT max(id) FROM servicedesk_ticket")
        top = cursor.fetchone()[0] or 0
    print(f"known errors: {known_errors}, highest ticket id: {top}")
    step = max(1, top // args.incidents)
    incidents = list(Ticket.objects.filter(kind="incident", pk__in=range(1, top + 1, step))[:args.incidents])
    for incident in incidents[:3]:
        suggestions_for_incident(incident)  # warm the connection and caches
    samples, found = [], 0
    for _ in range(args.repeat):
        for incident in incidents:
            started = time.perf_counter()
            found += len(suggestions_for_incident(incident))
            samples.append((time.perf_counter() - started) * 1000)
    verdict = "OK" if percentile(samples, 95) < BUDGET_MS else "OVER BUDGET"
    print(f"suggestions ({len(incidents)} incidents x {args.repeat}): {summarise_ms(samples)}  "
          f"avg {found / len(samples):.1f} suggestions  [{verdict}, budget p95 < {BUDGET_MS:.0f} ms]")

    from django.conf import settings
    from django.utils import timezone

    since = timezone.now() - timezone.timedelta(days=settings.PROBLEM_CANDIDATE_WINDOW_DAYS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM servicedesk_ticket WHERE opened_at >= %s AND kind = 'incident'", [since])
        in_window = cursor.fetchone()[0]
        cursor.execute("EXPLAIN " + CLUSTERS_SQL, {"since": since, "min": settings.PROBLEM_CANDIDATE_MIN_INCIDENTS})
        plan = "\n".join(row[0] for row in cursor.fetchall())
    found = re.search(r"ticket_(kind_)?opened_idx", plan)
    index = found.group(0) if found else "NOT an opened_at index"
    # The cost follows the window's incidents: the same statement over windows of 7, 14 and 28 days.
    for days in (7, 14, 28):
        window_start = timezone.now() - timezone.timedelta(days=days)
        timings = []
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM servicedesk_ticket WHERE opened_at >= %s AND kind = 'incident'",
                           [window_start])
            incidents_in = cursor.fetchone()[0]
            for _ in range(args.repeat):
                started = time.perf_counter()
                cursor.execute(CLUSTERS_SQL, {"since": window_start, "min": settings.PROBLEM_CANDIDATE_MIN_INCIDENTS})
                clusters = len(cursor.fetchall())
                timings.append((time.perf_counter() - started) * 1000)
        print(f"clustering statement, {days:2d}-day window ({incidents_in} incidents): {summarise_ms(timings)}, "
              f"{clusters} clusters")
    for _ in range(args.repeat):
        with transaction.atomic():
            started = time.perf_counter()
            result = candidates_detect()
            elapsed = (time.perf_counter() - started) * 1000
            transaction.set_rollback(True)
        print(f"detector, first run (writes every candidate): {elapsed:8.1f} ms for {in_window} incidents in the {settings.PROBLEM_CANDIDATE_WINDOW_DAYS}-day "
              f"window, {len(result.proposed)} candidates (plan walks {index})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_argument(parser)
    add_quiet_argument(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    gen = sub.add_parser("generate")
    gen.add_argument("--known-errors", type=int, default=50000)
    bench = sub.add_parser("run")
    bench.add_argument("--incidents", type=int, default=50)
    bench.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.database_url.endswith("/esm_bench"):
        args.database_url = DEFAULT_URL  # never write to the shared bench database
    if "bench" not in args.database_url:
        parser.error("use a bench database (its name must contain 'bench')")
    setup_django(args.database_url)
    if args.command == "generate":
        generate(args)
    else:
        wait_until_quiet(args.wait_quiet)
        run(args)


if __name__ == "__main__":
    main()
