"""Load N running SLA clocks (with minimal tickets) for the SLA benchmarks, set-based and fast.

    .venv/bin/python -m bench.sla_generate 1000000 [--database-url URL] [--due-per-minute 200]

Database: ``esm_bench_sla`` by default (migrated on first use). Each clock ``i`` falls due at
``T0 + i / due_per_minute`` minutes, where ``T0`` is stored in a one-row table, so the density of
clocks falling due is the same whatever N: growing from 100,000 to 1,000,000 appends clocks and
keeps the per-minute load, which is what lets the benchmark compare one tick at both sizes.
Tickets and clocks are inserted with ``INSERT … SELECT … FROM generate_series`` with the audit
triggers off (``session_replication_role = replica``), in batches of 100,000 per transaction.
"""

import argparse
import time

from bench.common import setup_django

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/esm_bench_sla"
BATCH = 100_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clocks", type=int, help="total number of running clocks wanted")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--due-per-minute", type=int, default=200)
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.core.management import call_command
    from django.db import connection, transaction

    from accounts.models import User
    from sla.models import SlaDefinition

    call_command("migrate", verbosity=0)
    requester, _created = User.objects.get_or_create(username="sla_bench_requester",
                                                     defaults={"email": "sla-bench@example.com"})
    definition = SlaDefinition.objects.get(name="Incident P3 - Moderate")
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS sla_bench_origin (t0 timestamptz NOT NULL)")
        cur.execute("SELECT t0 FROM sla_bench_origin")
        row = cur.fetchone()
        if row is None:
            cur.execute("INSERT INTO sla_bench_origin VALUES (date_trunc('minute', now()) + interval '1 hour') "
                        "RETURNING t0")
            row = cur.fetchone()
        t0 = row[0]
        cur.execute("SELECT count(*) FROM sla_clock")
        have = cur.fetchone()[0]
        cur.execute("SELECT COALESCE(max(last_value), 0) FROM servicedesk_ticketsequence WHERE kind = 'incident'")
    print(f"{have:,} clocks present; loading up to {args.clocks:,} (T0 = {t0:%Y-%m-%d %H:%M} UTC, "
          f"{args.due_per_minute} falling due per minute)")
    started = time.monotonic()
    while have < args.clocks:
        n = min(BATCH, args.clocks - have)
        batch_started = time.monotonic()
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute("SET LOCAL session_replication_role = replica")
            cur.execute("""
                WITH new AS (
                    INSERT INTO servicedesk_ticket (kind, number, title, description, state, active, priority,
                        requester_id, opened_at, updated_at, version)
                    SELECT 'incident', 'SLB' || lpad(g::text, 9, '0'), 'SLA bench ticket ' || g, '', 'in_progress',
                           true, 3, %(requester)s, %(t0)s - interval '1 day', %(t0)s - interval '1 day', 1
                    FROM generate_series(%(first)s, %(last)s) AS g
                    RETURNING id, substr(number, 4)::bigint AS g
                )
                INSERT INTO sla_clock (ticket_id, definition_id, type, metric, team_id, segment, state, target_seconds,
                    started_at, stopped_at, running_since, paused_since, elapsed_seconds, paused_seconds, due_at,
                    breached, breached_at, next_check_at, next_threshold, checkpoints, pauses, history_mark,
                    computed_at)
                SELECT id, %(definition)s, 'sla', 'resolution', NULL, 0, 'running', 86400,
                       %(t0)s - interval '1 day', NULL, %(t0)s - interval '1 day', NULL, 0, 0, due, false, NULL,
                       due, 100, jsonb_build_object('100', extract(epoch FROM due)::bigint), '[]'::jsonb, 'bench',
                       now()
                FROM (SELECT id, %(t0)s + (g * interval '60 seconds') / %(per_minute)s AS due FROM new) AS n
            """, {"requester": requester.pk, "t0": t0, "first": have + 1, "last": have + n,
                  "definition": definition.pk, "per_minute": args.due_per_minute})
        have += n
        print(f"  {have:>10,} clocks  ({n / (time.monotonic() - batch_started):,.0f}/s)", flush=True)
    with connection.cursor() as cur:
        cur.execute("ANALYZE servicedesk_ticket")
        cur.execute("ANALYZE sla_clock")
    print(f"done in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
