"""SLA benchmarks: one breach-scan tick at the current number of running clocks, and due-time arithmetic.

    .venv/bin/python -m bench.sla_generate 100000 && .venv/bin/python -m bench.sla_bench --ticks 20
    .venv/bin/python -m bench.sla_generate 1000000 && .venv/bin/python -m bench.sla_bench --ticks 20

Each tick scans the next unused minute after ``T0`` (see sla_generate): about ``due_per_minute``
clocks fall due in it, whatever the total. The tick is ``sla.scan.scan_once`` as beat runs it:
claim with SKIP LOCKED, record the breach (unique), insert the escalation runs; the Celery
``delay`` of each run is replaced by a counter (queueing is Redis's cost, not the scan's).
The transaction is committed, so each tick leaves its clocks handled, as in production; between ticks
(untimed) the runs are marked done, as the workers would.
"""

import argparse
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from unittest import mock

from bench.common import machine_summary, percentile, setup_django

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/esm_bench_sla"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--ticks", type=int, default=20)
    parser.add_argument("--computations", type=int, default=100_000)
    args = parser.parse_args()
    setup_django(args.database_url)

    from django.db import connection

    from sla import scan
    from sla.calendar import BusinessCalendar, Spec
    from sla.models import ClockEvent

    with connection.cursor() as cur:
        cur.execute("SELECT t0 FROM sla_bench_origin")
        t0 = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM sla_clock WHERE state = 'running'")
        running = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM sla_clock WHERE next_check_at IS NOT NULL")
        pending = cur.fetchone()[0]
        cur.execute("CREATE TABLE IF NOT EXISTS sla_bench_minutes (minute int PRIMARY KEY)")
        cur.execute("SELECT COALESCE(max(minute), 0) FROM sla_bench_minutes")
        minute = cur.fetchone()[0]
    print(machine_summary())
    print(f"\nrunning clocks: {running:,} ({pending:,} with a check still due)")

    queued = []
    samples, claimed, events = [], [], []
    with mock.patch("sla.tasks.run_escalation.delay", side_effect=queued.append):
        for _ in range(args.ticks):
            minute += 1
            now = t0 + timedelta(minutes=minute)
            started = time.perf_counter()
            result = scan.scan_once(now=now, batch=5000)
            samples.append((time.perf_counter() - started) * 1000)
            claimed.append(result.claimed)
            events.append(result.events)
            with connection.cursor() as cur:
                cur.execute("INSERT INTO sla_bench_minutes VALUES (%s)", [minute])
                # The workers' part, outside the timing: the queued escalations get done.
                cur.execute("UPDATE sla_escalationrun SET status = 'done', done_at = now() WHERE status = 'pending'")
    print(f"scan tick ({args.ticks} ticks, one minute of due clocks each): "
          f"p50 {statistics.median(samples):.1f} ms  p95 {percentile(samples, 95):.1f} ms  max {max(samples):.1f} ms")
    print(f"  per tick: {statistics.mean(claimed):.0f} clocks claimed, {statistics.mean(events):.0f} breaches "
          f"recorded, {len(queued) / args.ticks:.0f} escalations queued")
    # A duplicate tick over the same minute: nothing left to claim.
    started = time.perf_counter()
    again = scan.scan_once(now=t0 + timedelta(minutes=minute), batch=5000)
    print(f"duplicate tick: {again.claimed} claimed, {again.events} recorded, "
          f"{(time.perf_counter() - started) * 1000:.1f} ms")
    with connection.cursor() as cur:
        cur.execute("EXPLAIN SELECT id, definition_id, checkpoints FROM sla_clock WHERE next_check_at IS NOT NULL "
                    "AND next_check_at <= %s ORDER BY next_check_at LIMIT 5000 FOR UPDATE SKIP LOCKED",
                    [t0 + timedelta(minutes=minute + 1)])
        print("claim plan: " + " / ".join(r[0].strip() for r in cur.fetchall()[:3]))
    print(f"breaches recorded so far: {ClockEvent.objects.count():,}")

    # Due-time arithmetic on a business-hours calendar with holidays, across DST.
    calendar = BusinessCalendar(Spec(time_zone="America/New_York", holiday_country="US",
                                     hours=tuple((d, datetime.min.time().replace(hour=9),
                                                  datetime.min.time().replace(hour=17)) for d in range(5))))
    rng = random.Random(7)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    starts = [base + timedelta(seconds=rng.randrange(0, 365 * 86400)) for _ in range(args.computations)]
    targets = [rng.choice([900, 4 * 3600, 8 * 3600, 24 * 3600, 40 * 3600]) for _ in range(args.computations)]
    calendar.add(base, 1)  # build the calendar once (cached per process in production)
    started = time.perf_counter()
    for s, t in zip(starts, targets, strict=True):
        calendar.add(s, t)
    elapsed = time.perf_counter() - started
    print(f"\n{args.computations:,} due-time computations (add business seconds, US holidays, New York DST): "
          f"{elapsed * 1000:.0f} ms ({elapsed / args.computations * 1e6:.1f} µs each)")
    started = time.perf_counter()
    for s, t in zip(starts, targets, strict=True):
        calendar.seconds_between(s, s + timedelta(seconds=t))
    elapsed = time.perf_counter() - started
    print(f"{args.computations:,} business-seconds-between computations: {elapsed * 1000:.0f} ms")


if __name__ == "__main__":
    main()
