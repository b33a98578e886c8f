"""Throughput and latency of the incident list endpoint under gunicorn, measured with wrk.

    .venv/bin/python -m bench.bench_api [--workers 2,4] [--duration 20] [--connections 8] [--database-url URL]

Starts gunicorn (``esm.wsgi``, sync workers, 127.0.0.1 only, DEBUG off), gets an API token for the
bench agent from ``POST /api/v1/auth/token/``, runs wrk (2 threads) against a few list requests
of 50 rows with ``Authorization: Token …`` and prints requests/s and latency percentiles; then
counts the SQL queries of the same requests in-process (first page and a page 20 "next" links
deep) and stops gunicorn. Load tool, server and database share the machine, as the budget says.

Budget (bench/README.md): ≥ 200 requests/s for 50 rows on 2 cores with gunicorn sync workers.
"""

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from bench.common import (
    BENCH_AGENT,
    BENCH_PASSWORD,
    REPO_ROOT,
    add_database_argument,
    add_quiet_argument,
    bench_agent,
    machine_summary,
    print_profile,
    setup_django,
    wait_until_quiet,
)

WRK = shutil.which("wrk") or "/usr/bin/wrk"
REPORT_SCRIPT = Path(__file__).with_name("wrk_report.lua")
RESULT_RE = re.compile(r"ESM-RESULT (.*)")
BUDGET_RPS = 200
LIST_PATH = "/api/v1/incidents/"


def variants(front_line_team_id: int) -> list[tuple[str, dict]]:
    return [
        ("all incidents, default ordering (priority)", {"page_size": 50}),
        ("all incidents, newest first", {"page_size": 50, "ordering": "-opened_at"}),
        ("open incidents, priority", {"page_size": 50, "active": "true", "ordering": "priority"}),
        ("open, team + state filter, priority",
         {"page_size": 50, "active": "true", "team_id": front_line_team_id, "state": "in_progress"}),
        ("open, brief=1, priority", {"page_size": 50, "active": "true", "brief": 1}),
    ]


# --- gunicorn ---------------------------------------------------------------------------------


def start_gunicorn(*, workers: int, port: int, database_url: str, log_path: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DEBUG": "0",
        "SECRET_KEY": "bench",
        "ESM_PLAIN_STATIC": "1",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [str(gunicorn), "esm.wsgi:application", "--workers", str(workers), "--worker-class", "sync",
               "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "60"]
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process
    # A session of its own, so stopping it stops its workers and nothing else.
    return subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)


def stop_gunicorn(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)  # the group gunicorn leads: its master and its workers
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def http(url: str, *, data: dict | None = None, token: str | None = None) -> tuple[int, bytes]:
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Token {token}"
    body = None
    if data is not None:  # the API takes JSON bodies only
        body = json.dumps(data).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=body, headers=headers)  # 127.0.0.1 only
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, b""


def wait_for(url: str, *, token: str | None = None, timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    status = 0
    while time.monotonic() < deadline:
        status, _ = http(url, token=token)
        if status == 200:
            return status
        time.sleep(0.5)
    return status


def api_token(base: str) -> tuple[str, str]:
    """The bench agent's token from the API; straight from the database if the endpoint is missing."""
    status, body = http(f"{base}/api/v1/auth/token/", data={"username": BENCH_AGENT, "password": BENCH_PASSWORD})
    if status == 200:
        return json.loads(body)["token"], "POST /api/v1/auth/token/"
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=bench_agent())
    return token.key, f"database (token endpoint answered {status})"


# --- wrk ----------------------------------------------------------------------------------------


def run_wrk(url: str, *, token: str, duration: int, connections: int, threads: int) -> dict:
    command = [WRK, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s",
               "-H", f"Authorization: Token {token}", "-s", str(REPORT_SCRIPT), url]
    output = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True).stdout
    match = RESULT_RE.search(output)
    if not match:
        raise SystemExit(f"could not read wrk's output:\n{output}")
    values = {key: int(value) for key, value in (item.split("=") for item in match.group(1).split())}
    values["rps"] = values["requests"] / (values["duration_us"] / 1e6)
    return values


def probe_seconds(url: str, *, token: str, tries: int = 3) -> float:
    """Best time of a few sequential requests: is the endpoint fast enough for a load run?"""
    best = float("inf")
    for _ in range(tries):
        started = time.perf_counter()
        status, _ = http(url, token=token)
        if status != 200:
            raise SystemExit(f"{url} answered {status}")
        best = min(best, time.perf_counter() - started)
        if best > 5:
            break
    return best


def drain(base: str) -> None:
    """Let sync workers finish requests wrk left queued, so they do not count against the next run."""
    wait_for(f"{base}/livez", timeout=300)
    time.sleep(1)


# --- query counts -----------------------------------------------------------------------------


def query_counts(token: str, params: dict, deep: int) -> tuple[int, int | None, int]:
    """(queries on the first page, on the page ``deep`` next-links on or None, rows on the first page)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LIST_PATH, params)
    first = len(captured)  # now: the captured list is a view on a log that later requests reset
    assert response.status_code == 200, response.content[:300]
    rows = len(response.json()["results"])
    next_url = response.json()["next"]
    for _ in range(deep - 1):
        if not next_url:
            return first, None, rows
        next_url = client.get(next_url).json()["next"]
    if not next_url:
        return first, None, rows
    with CaptureQueriesContext(connection) as captured:
        client.get(next_url)
    return first, len(captured), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_database_argument(parser)
    parser.add_argument("--workers", default="2,4", help="gunicorn worker counts to try (default 2,4)")
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk run (default 20)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (default 8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--only", help="run only the variants whose name contains this text")
    parser.add_argument("--too-slow", type=float, default=2.0, metavar="SECONDS",
                        help="skip the load run of a request slower than this alone (default 2)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile one list request in-process: where its time goes")
    add_quiet_argument(parser)
    args = parser.parse_args()
    setup_django(args.database_url, ALLOWED_HOSTS="testserver,127.0.0.1,localhost")
    wait_until_quiet(args.wait_quiet)

    from accounts.models import Team
    from bench.world import FRONT_LINE_TEAM

    front_line = Team.objects.get(name=FRONT_LINE_TEAM).pk
    chosen = [(n, p) for n, p in variants(front_line) if not args.only or args.only in n]
    base = f"http://127.0.0.1:{args.port}"
    print(machine_summary())
    print(f"wrk: {args.threads} threads, {args.connections} connections, {args.duration} s per run; "
          f"gunicorn sync workers; everything on 127.0.0.1\n")

    token = None
    results = []
    for workers in [int(w) for w in args.workers.split(",")]:
        log_path = Path(f"/tmp/esm-bench-gunicorn-{workers}.log")
        server = start_gunicorn(workers=workers, port=args.port, database_url=args.database_url, log_path=log_path)
        try:
            if wait_for(f"{base}/livez") != 200:
                raise SystemExit(f"gunicorn did not answer /livez; see {log_path}")
            if token is None:
                token, source = api_token(base)
                print(f"token from {source}")
            status = wait_for(f"{base}{LIST_PATH}?page_size=1", token=token, timeout=600)
            if status != 200:
                raise SystemExit(f"{LIST_PATH} answered {status}; see {log_path}")
            # Warm every worker (imports, connections, caches) before measuring.
            run_wrk(f"{base}{LIST_PATH}?page_size=50&ordering=-opened_at", token=token, duration=3,
                    connections=args.connections, threads=args.threads)
            print(f"gunicorn, {workers} sync workers (load average {os.getloadavg()[0]:.1f})")
            print(f"  {'request':<44} {'req/s':>7} {'p50':>8} {'p90':>8} {'p95':>8} {'p99':>8} {'max':>8} "
                  f"{'non-2xx':>7} {'timeouts':>8}")
            for name, params in chosen:
                url = f"{base}{LIST_PATH}?{urllib.parse.urlencode(params)}"
                probe = probe_seconds(url, token=token)
                if probe > args.too_slow:
                    # A load run would only queue requests behind each other for minutes.
                    print(f"  {name:<44} skipped: one request alone takes {probe:.1f} s (> {args.too_slow} s)")
                    results.append((workers, name, {"rps": 1 / probe, "non2xx": 0, "socket_errors": 0,
                                                    "probe": probe}))
                    continue
                r = run_wrk(url, token=token, duration=args.duration, connections=args.connections,
                            threads=args.threads)
                results.append((workers, name, r))
                print(f"  {name:<44} {r['rps']:7.1f} " + " ".join(
                    f"{r[k] / 1000:6.0f}ms" for k in ("p50_us", "p90_us", "p95_us", "p99_us", "max_us"))
                    + f" {r['non2xx']:>7} {r['socket_errors']:>8}", flush=True)
                drain(base)
        finally:
            stop_gunicorn(server)
        print(f"  gunicorn stopped (exit {server.returncode})\n")

    print("SQL queries per request (in-process, same requests):")
    for name, params in chosen:
        first, deep, rows = query_counts(token, params, deep=20)
        note = "" if deep is None or deep == first else "  !! differs"
        print(f"  {name:<44} first page {first} ({rows} rows), page 21: {deep if deep is not None else '-'}{note}")

    if args.profile:
        from rest_framework.test import APIClient

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        params = {"page_size": 50, "active": "true", "ordering": "priority"}
        print_profile(f"GET {LIST_PATH}?{urllib.parse.urlencode(params)}", lambda: client.get(LIST_PATH, params))

    print(f"\nbudget ≥ {BUDGET_RPS} requests/s (50 rows):")
    for workers, name, r in results:
        ok = r["rps"] >= BUDGET_RPS and r["non2xx"] == 0 and r["socket_errors"] == 0
        how = f" (not load-tested: {r['probe']:.1f} s per request)" if "probe" in r else ""
        print(f"  {workers} workers  {name:<44} {r['rps']:7.1f} req/s  {'met' if ok else 'MISSED'}{how}")


if __name__ == "__main__":
    main()
