"""One ticket beside the lists: the console ticket page, the API detail, the API list and the queue.

    .venv/bin/python -m bench.bench_detail [--workers 4] [--duration 20] [--connections 16]
                                           [--compare DIR] [--database-url URL] [--wait-quiet N]

Prepares (once, through the services) a realistic incident for the bench agent — 30 replies and work
notes, time entries, five linked CIs, five watchers, an SLA clock where definitions apply — then starts
gunicorn (sync workers, 127.0.0.1, DEBUG off), and for each request: times 50 requests one after the
other (the "one request, idle" figure), runs wrk (2 threads, 16 connections, 20 s) and prints
requests/s and latency percentiles; it stops gunicorn and counts the SQL queries of each request
in-process (second request: warm per-process caches). ``--compare DIR`` does the same first for the
code in DIR (e.g. ``git archive main | tar -x -C /tmp/esm-main``), on the same database, in the same
run, so before and after meet the same machine load.

Budgets: console ticket page ≥ 160 requests/s, p95 < 60 ms alone, ≤ 12 queries; API detail at least
the API list's requests/s, ≤ 8 queries; queue ≥ 150 requests/s.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.bench_api import WRK, stop_gunicorn, wait_for
from bench.common import (
    BENCH_AGENT,
    REPO_ROOT,
    add_database_argument,
    add_quiet_argument,
    bench_agent,
    machine_summary,
    percentile,
    setup_django,
    wait_until_quiet,
)

MARK = "Bench: VPN drops every few minutes"
SECRET = "bench"  # gunicorn and this process must sign sessions with the same key


def prepare_ticket() -> str:
    """The bench incident's number; made once through the services (timeline, CIs, watchers, time)."""
    from accounts.models import Team, User
    from bench.world import FRONT_LINE_TEAM
    from cmdb.models import ConfigurationItem
    from incidents import services
    from servicedesk import services as desk
    from servicedesk.models import Ticket

    found = Ticket.objects.filter(title=MARK, kind="incident").order_by("id").first()
    if found:
        return found.number
    agent = bench_agent()
    team = Team.objects.get(name=FRONT_LINE_TEAM)
    others = list(team.members.exclude(pk=agent.pk).order_by("id")[:6])
    requester = User.objects.filter(username__startswith="bench_req_").order_by("id").first()
    service = ConfigurationItem.objects.services().order_by("id").first()
    ticket = services.incident_open(actor=agent, requester=requester, title=MARK, impact=2, urgency=2,
                                    description="Since **09:10** the VPN drops every few minutes.\n\n- Seoul office\n"
                                                "- about 40 people", service=service, team=team, assignee=others[0])
    ticket = services.incident_transition(ticket=ticket, actor=others[0], to="in_progress")
    cis = list(ConfigurationItem.objects.operational().exclude(pk=service.pk).order_by("id")[:5])
    desk.ticket_link_cis(ticket=ticket, actor=agent, cis=cis)
    for person in others[1:6]:
        desk.ticket_watch(ticket=ticket, actor=agent, user=person, watching=True)
    for i in range(30):
        author = others[i % 3]
        services.incident_comment(ticket=ticket, actor=author, public=bool(i % 2),
                                  body=f"Update {i}: checked the **tunnel** logs on `vpn-gw-0{i % 4}`; see the "
                                       f"[runbook](https://wiki.example.com/vpn) step {i}.",
                                  minutes=None if i % 2 else 5 + i)
    return ticket.number


def session_cookie() -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(bench_agent())
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


def api_token() -> str:
    from rest_framework.authtoken.models import Token

    token, _ = Token.objects.get_or_create(user=bench_agent())
    return token.key


def requests_to_measure(number: str) -> list[tuple[str, str, str]]:
    """(name, path, auth: "session" or "token")."""
    return [
        ("console ticket page", f"/desk/incidents/{number}/", "session"),
        ("API detail", f"/api/v1/incidents/{number}/", "token"),
        ("API list, 50 rows", "/api/v1/incidents/?page_size=50", "token"),
        ("console queue, open", "/desk/?queue=open", "session"),
    ]


# --- in-process query counts (run for this code, or as a subprocess for --compare DIR) ---------


def count_queries(number: str) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    session = Client()
    session.force_login(bench_agent())
    token = Client(HTTP_AUTHORIZATION=f"Token {api_token()}")
    counts = {}
    for name, path, auth in requests_to_measure(number):
        client = session if auth == "session" else token
        client.get(path)  # warm per-process caches
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        counts[name] = len(ctx.captured_queries)
    return counts


def count_queries_of(code: Path, number: str, database_url: str) -> dict[str, int]:
    env = {**os.environ, "PYTHONPATH": str(code), "SECRET_KEY": SECRET, "DATABASE_URL": database_url,
           "ALLOWED_HOSTS": "testserver,127.0.0.1,localhost"}
    out = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--count-only", number,
                          "--database-url", database_url], cwd=code, env=env, capture_output=True, text=True,
                         check=True, timeout=600).stdout
    return json.loads(out.strip().splitlines()[-1])


# --- gunicorn and load ---------------------------------------------------------------------


def start_gunicorn(code: Path, *, workers: int, port: int, database_url: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "DEBUG": "0", "SECRET_KEY": SECRET, "ESM_PLAIN_STATIC": "1",
           "ALLOWED_HOSTS": "127.0.0.1,localhost", "LOG_LEVEL": "WARNING"}
    env.pop("DB_CONN_MAX_AGE", None)  # a connection per request costs more than the request
    env["PAGE_CACHE"] = os.environ.get("PAGE_CACHE", "1")
    log = open(f"/tmp/esm-bench-detail-{port}.log", "wb")  # noqa: SIM115 - closed with the process
    command = [str(Path(sys.executable).with_name("gunicorn")), "esm.wsgi:application", "--chdir", str(code),
               "--workers", str(workers), "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
               "--log-level", "warning", "--timeout", "60"]
    return subprocess.Popen(command, cwd=code, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


class NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect (to the login page, say) is a failed measurement, not a page to follow."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise SystemExit(f"{req.full_url} answered {code} (to {newurl}): the bench is not signed in")


OPENER = urllib.request.build_opener(NoRedirects)


def one_at_a_time(url: str, headers: dict, n: int = 50) -> list[float]:
    samples = []
    for _ in range(n):
        request = urllib.request.Request(url, headers=headers)  # 127.0.0.1 only
        started = time.perf_counter()
        with OPENER.open(request, timeout=30) as response:
            response.read()
            assert response.status == 200, url
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def run_wrk_with(url: str, headers: dict, *, duration: int, connections: int) -> dict:
    command = [WRK, "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s",
               "-s", str(Path(__file__).with_name("wrk_report.lua"))]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, timeout=duration + 60,
                            check=True).stdout
    line = next(x for x in output.splitlines() if x.startswith("ESM-RESULT "))
    values = {k: int(v) for k, v in (item.split("=") for item in line.split()[1:])}
    values["rps"] = values["requests"] / (values["duration_us"] / 1e6)
    return values


def measure(label: str, code: Path, number: str, args, cookie: str, token: str) -> dict:
    base = f"http://127.0.0.1:{args.port}"
    server = start_gunicorn(code, workers=args.workers, port=args.port, database_url=args.database_url)
    results = {}
    try:
        # /livez answers while the process lives; older code has only /healthz (then a plain SELECT 1).
        alive = next((f"{base}{path}" for path in ("/livez", "/healthz") if wait_for(f"{base}{path}", timeout=30) == 200),
                     None)
        if alive is None:
            raise SystemExit(f"gunicorn ({label}) did not answer; see /tmp/esm-bench-detail-{args.port}.log")

        def drain(_base):  # let sync workers finish what wrk left queued
            wait_for(alive, timeout=300)
            time.sleep(1)

        print(f"\n{label}: gunicorn {args.workers} sync workers (load average {os.getloadavg()[0]:.1f})")
        print(f"  {'request':<24} {'alone p50':>9} {'p95':>6} │ {'req/s':>7} {'p50':>7} {'p95':>7} {'p99':>7} "
              f"{'non-2xx':>7}")
        for name, path, auth in requests_to_measure(number):
            headers = {"Cookie": cookie} if auth == "session" else {"Authorization": f"Token {token}"}
            run_wrk_with(base + path, headers, duration=3, connections=args.connections)  # warm every worker
            drain(base)
            alone = one_at_a_time(base + path, headers)
            r = run_wrk_with(base + path, headers, duration=args.duration, connections=args.connections)
            r["alone_p50"], r["alone_p95"] = statistics.median(alone), percentile(alone, 95)
            results[name] = r
            print(f"  {name:<24} {r['alone_p50']:7.1f}ms {r['alone_p95']:5.1f}ms │ {r['rps']:7.1f} "
                  + " ".join(f"{r[k] / 1000:5.0f}ms" for k in ("p50_us", "p95_us", "p99_us"))
                  + f" {r['non2xx']:>7}", flush=True)
            drain(base)
    finally:
        stop_gunicorn(server)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_database_argument(parser)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--port", type=int, default=8792)
    parser.add_argument("--compare", type=Path, metavar="DIR", help="measure the code in DIR first (e.g. main)")
    parser.add_argument("--cold", action="store_true",
                        help="keep no rendered page (PAGE_CACHE=0): every request renders, as a first view does")
    parser.add_argument("--count-only", metavar="NUMBER", help=argparse.SUPPRESS)
    add_quiet_argument(parser)
    args = parser.parse_args()
    # The session cookie is made here and read by gunicorn: both must sign with the same key, whatever
    # SECRET_KEY the shell exports (a mismatch logs the bench out and it would time the login redirect).
    os.environ["SECRET_KEY"] = SECRET
    if args.cold:
        os.environ["PAGE_CACHE"] = "0"
    setup_django(args.database_url, ALLOWED_HOSTS="testserver,127.0.0.1,localhost")
    if args.count_only:
        print(json.dumps(count_queries(args.count_only)))
        return
    number = prepare_ticket()
    cookie, token = session_cookie(), api_token()
    wait_until_quiet(args.wait_quiet)
    print(machine_summary())
    print(("cold: no rendered page kept (PAGE_CACHE=0); " if args.cold else
           "warm: wrk repeats each request, so pages come from the page cache after the first; ")
          + f"ticket {number} (as {BENCH_AGENT}); wrk -t2 -c{args.connections} -d{args.duration}s; "
          f"load tool, server and database on the same machine")
    runs = []
    if args.compare:
        runs.append(("before: " + str(args.compare), args.compare.resolve()))
    runs.append(("this code", REPO_ROOT))
    figures = {label: measure(label, code, number, args, cookie, token) for label, code in runs}
    queries = {label: (count_queries_of(code, number, args.database_url) if code != REPO_ROOT
                       else count_queries(number)) for label, code in runs}
    print("\nSQL queries per request (in-process, warm caches):")
    for label, counts in queries.items():
        print(f"  {label:<40} " + ", ".join(f"{name} {n}" for name, n in counts.items()))
    now = figures["this code"]
    page, detail = now["console ticket page"], now["API detail"]
    api_list, queue = now["API list, 50 rows"], now["console queue, open"]
    counts = queries["this code"]
    print("\nbudgets (this code):")
    for text, ok in (
        (f"console ticket page ≥ 160 req/s: {page['rps']:.0f}", page["rps"] >= 160),
        (f"console ticket page p95 alone < 60 ms: {page['alone_p95']:.1f} ms", page["alone_p95"] < 60),
        (f"console ticket page ≤ 12 queries: {counts['console ticket page']}", counts["console ticket page"] <= 12),
        (f"API detail ≥ API list req/s: {detail['rps']:.0f} vs {api_list['rps']:.0f}", detail["rps"] >= api_list["rps"]),
        (f"API detail ≤ 8 queries: {counts['API detail']}", counts["API detail"] <= 8),
        (f"console queue ≥ 150 req/s: {queue['rps']:.0f}", queue["rps"] >= 150),
    ):
        print(f"  {'met   ' if ok else 'MISSED'} {text}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
