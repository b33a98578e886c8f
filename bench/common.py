"""Helpers shared by the benchmark scripts: Django set-up, the bench agent, timing statistics, machine facts."""

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/esm_bench"

# The agent every benchmark signs in as (created by generate_tickets.py).
BENCH_AGENT = "bench_agent"
BENCH_PASSWORD = "bench-password"


def add_database_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL),
        help="PostgreSQL URL (default: $DATABASE_URL or %(default)s)",
    )


def add_quiet_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--wait-quiet", type=int, default=0, metavar="SECONDS",
        help="first wait up to SECONDS until other processes use under 25%% of the CPUs (shared machines)",
    )


def cpu_busy(seconds: float = 3.0) -> float:
    """Share of all CPUs busy over ``seconds`` (from /proc/stat), 0.0–1.0."""

    def sample():
        with open("/proc/stat") as fh:
            values = [int(v) for v in fh.readline().split()[1:]]
        idle = values[3] + values[4]  # idle + iowait
        return idle, sum(values)

    idle_before, total_before = sample()
    time.sleep(seconds)
    idle_after, total_after = sample()
    return 1 - (idle_after - idle_before) / max(1, total_after - total_before)


def wait_until_quiet(timeout: int, max_busy: float = 0.25) -> None:
    """Benchmarks on a shared machine measure the neighbours too: wait for a quiet moment, report it."""
    if timeout <= 0:
        return
    deadline = time.monotonic() + timeout
    busy = cpu_busy()
    while busy > max_busy and time.monotonic() < deadline:
        print(f"  machine {busy:.0%} busy; waiting for under {max_busy:.0%}…", flush=True)
        time.sleep(10)
        busy = cpu_busy()
    print(f"CPU busy before starting: {busy:.0%}" + ("" if busy <= max_busy else " (gave up waiting)"))


def setup_django(database_url: str, **extra_env: str) -> None:
    """Point Django at ``database_url`` and initialise it; must run before any model import."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esm.settings")
    os.environ.setdefault("ESM_ALLOW_INSECURE_KEY", "1")
    os.environ.setdefault("ESM_PLAIN_STATIC", "1")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    for name, value in extra_env.items():
        os.environ.setdefault(name, value)
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    import django

    django.setup()


def bench_agent():
    from accounts.models import User

    try:
        return User.objects.get(username=BENCH_AGENT)
    except User.DoesNotExist:
        sys.exit(f"No user {BENCH_AGENT!r}: load data first with bench/generate_tickets.py")


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 50 samples is the 48th smallest)."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * pct // 100))  # ceil
    return ordered[int(rank) - 1]


def summarise_ms(samples: list[float]) -> str:
    return (f"p50 {statistics.median(samples):7.1f} ms  p95 {percentile(samples, 95):7.1f} ms  "
            f"max {max(samples):7.1f} ms  (n={len(samples)})")


def _first_line(path: str, prefix: str) -> str:
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(prefix):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def machine_summary() -> str:
    """One paragraph describing where the figures came from (printed by every benchmark)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT version()")
        pg_version = cur.fetchone()[0].split(" on ")[0]
        cur.execute("SELECT current_setting('shared_buffers'), current_setting('work_mem')")
        shared_buffers, work_mem = cur.fetchone()
        cur.execute("SELECT count(*) FROM servicedesk_ticket")
        tickets = cur.fetchone()[0]
    try:
        memory = subprocess.run(["free", "-h"], capture_output=True, text=True, check=False).stdout.splitlines()[1]
        memory = " ".join(memory.split()[1:2])
    except (OSError, IndexError):
        memory = "?"
    try:
        commit = subprocess.run(["git", "-C", str(REPO_ROOT), "log", "-1", "--format=%h %cs"], capture_output=True,
                                text=True, check=False).stdout.strip()
        changed = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain"], capture_output=True,
                                 text=True, check=False).stdout.count("\n")
        code = f"commit {commit} with {changed} changed/new files in the work tree"
    except OSError:
        code = "?"
    import django

    return (
        f"machine: {os.cpu_count()} CPUs ({_first_line('/proc/cpuinfo', 'model name')}), {memory} RAM, "
        f"{platform.system()} {platform.release()}\n"
        f"software: Python {platform.python_version()}, Django {django.get_version()}, {pg_version} "
        f"(shared_buffers {shared_buffers}, work_mem {work_mem})\n"
        f"code: {code}\n"
        f"data: {tickets:,} tickets in {connection.settings_dict['NAME']}\n"
        f"load average (1, 5, 15 min): {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
    )


# Where a request's time goes, by the module that spends it (cProfile's own time per function).
PROFILE_AREAS = [
    ("database (psycopg2 execute/fetch)", ("psycopg2",)),
    ("templates", ("django/template/", "django/templatetags/", "django/utils/formats", "django/utils/dateformat",
                   "django/utils/html", "django/utils/safestring")),
    ("DRF serializers/fields", ("rest_framework/serializers", "rest_framework/fields", "rest_framework/relations")),
    ("URL reversing", ("django/urls/",)),
    ("ORM (query building, model instances)", ("django/db/",)),
    ("translation", ("django/utils/translation", "gettext")),
    ("deepcopy", ("copy.py",)),
]


def profile_areas(call, *, repeat: int = 10) -> list[tuple[str, float]]:
    """Run ``call`` ``repeat`` times under cProfile; (area, share of profiled time) sorted by share."""
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(repeat):
        call()
    profiler.disable()
    stats = pstats.Stats(profiler).stats
    totals: dict[str, float] = {}
    for (filename, _line, name), (_cc, _nc, own_time, _cum, _callers) in stats.items():
        where = f"{filename} {name}"
        area = next((label for label, needles in PROFILE_AREAS if any(n in where for n in needles)), "other Python")
        totals[area] = totals.get(area, 0.0) + own_time
    grand = sum(totals.values()) or 1.0
    return sorted(((area, seconds / grand) for area, seconds in totals.items()), key=lambda item: -item[1])


def print_profile(title: str, call, *, repeat: int = 10) -> None:
    import time as _time

    for _ in range(3):
        call()
    started, cpu_started = _time.perf_counter(), _time.process_time()
    for _ in range(repeat):
        call()
    wall = (_time.perf_counter() - started) * 1000 / repeat
    cpu = (_time.process_time() - cpu_started) * 1000 / repeat
    print(f"\nprofile of {title}: {wall:.1f} ms wall, {cpu:.1f} ms CPU of this process per request "
          f"(mean of {repeat}, no profiler); share of profiled time by area:")
    for area, share in profile_areas(call, repeat=repeat):
        print(f"  {share:6.1%}  {area}")
