"""The commands behind the root launcher script: run, test, manage.

Started as `.venv/bin/python -m esm.launcher <command> [args]` by the stdlib-only bootstrap
script at the repository root, which has already created the virtualenv and installed the project.
Every command starts the embedded services whose URL is missing (esm.embedded) and runs Django's
manage.py, gunicorn, Celery and pytest as child processes with the same environment.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from esm import embedded

BASE_DIR = embedded.BASE_DIR
VAR_DIR = embedded.VAR_DIR
PY = sys.executable
USAGE = """usage: esmctl COMMAND [ARGS]
  run               install, migrate, load demo data and serve http://127.0.0.1:8000/
  test [PYTEST...]  ruff, migration and OpenAPI checks, then pytest (extra args go to pytest)
  manage ARGS...    python manage.py ARGS with the same environment and services"""


class Terminated(Exception):
    """SIGTERM or SIGHUP: stop children and services, as for Ctrl-C."""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.exit_code = 128 + signum


def _on_terminate(signum, frame):
    raise Terminated(signum)


def _ignore_signals() -> None:
    # Once shutdown has begun, a second Ctrl-C must not leave half-stopped servers behind.
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM if the launcher dies, even by SIGKILL (Linux only),
    so a killed launcher does not leave gunicorn holding the port."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def spawn(cmd: list[str], log: Path | None = None) -> subprocess.Popen:
    """Start a child; with ``log``, its output is appended to that file instead of the terminal."""
    print("$", " ".join(cmd) + (f" >> {log.relative_to(BASE_DIR)}" if log else ""), flush=True)
    output = None
    if log:
        # Only the account running ESM may read it: the console e-mail backend writes e.g. password-reset links.
        output = open(os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600), "ab")  # noqa: SIM115 - the child keeps it
    return subprocess.Popen(cmd, cwd=BASE_DIR, preexec_fn=_die_with_parent,  # noqa: S603 - fixed argv
                            stdout=output, stderr=subprocess.STDOUT if output else None)


def stop_children(procs: dict[str, subprocess.Popen], timeout: float = 20) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + timeout
    for name, proc in procs.items():
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop in {timeout:.0f}s; killing it", file=sys.stderr)
            proc.kill()
            proc.wait()


def call(cmd: list[str]) -> int:
    """Run one command in the foreground and return its exit code.

    It shares our terminal and process group, so Ctrl-C reaches it directly and it decides what
    to do (a `manage.py shell` carries on); we keep waiting. SIGTERM to us is passed on.
    """
    proc = spawn(cmd)
    while True:
        try:
            return proc.wait()
        except KeyboardInterrupt:
            continue
        except Terminated:
            stop_children({cmd[0]: proc})
            raise


def check(cmd: list[str]) -> None:
    rc = call(cmd)
    if rc != 0:
        print(f"\nFAILED ({rc}): {' '.join(cmd)}", file=sys.stderr)
        raise SystemExit(rc)


def manage(*args: str) -> list[str]:
    return [PY, "manage.py", *args]


def persistent_secret_key() -> str:
    """A random SECRET_KEY kept in var/secret_key (mode 0600), so sessions survive restarts."""
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def served_host(host: str) -> str:
    """The address to open in a browser for a bind address (a wildcard is reachable on loopback)."""
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - only compared


def site_url(host: str, port: int) -> str:
    shown = served_host(host)
    return f"http://{'[' + shown + ']' if ':' in shown else shown}:{port}"


def port_in_use(host: str, port: int) -> bool:
    """Whether binding host:port fails, as it would for gunicorn (which sets SO_REUSEADDR too)."""
    try:
        family, kind, proto, _name, address = socket.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        with socket.socket(family, kind, proto) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
    except OSError:
        return True
    return False


def port_taken_message(host: str, port: int) -> str:
    other = 8001 if port != 8001 else 8002
    return (f"Port {port} on {served_host(host)} is already in use (another program, or ESM already running).\n"
            f"Stop that program, or pick another port:  PORT={other} ./esmctl run")


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


# --- commands ------------------------------------------------------------------------------------


def cmd_run(args: list[str]) -> int:
    os.environ.setdefault("SECRET_KEY", persistent_secret_key())
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", "8000"))
    if port_in_use(host, port):
        print(port_taken_message(host, port), file=sys.stderr)
        return 1
    # Links in e-mails point where the browser is: the same host, so the same session cookie.
    os.environ.setdefault("SITE_URL", site_url(host, port))
    check(manage("check", "--database", "default"))
    check(manage("migrate", "--noinput"))
    check(manage("vendor_assets"))
    check(manage("collectstatic", "--noinput", "-v", "0"))
    check(manage("seed_demo"))

    # The worker's output goes to a file: with the default console e-mail backend it prints every
    # notification, and the demo's first SLA scan sends a few dozen, which would bury the address.
    jobs_log = VAR_DIR / "log" / "celery.log"
    jobs_log.parent.mkdir(parents=True, exist_ok=True)
    procs = {
        # Gunicorn's INFO lines (booting each worker) would interleave with the address below;
        # warnings and errors still show, and so does the access log.
        "web": spawn([PY, "-m", "gunicorn", "esm.wsgi", "--bind", f"{host}:{port}", "--workers", "3",
                      "--access-logfile", "-", "--log-level", "warning", "--graceful-timeout", "10"]),
        # Warnings only: beat ticks the SLA scan every few seconds, and INFO would log each tick.
        "worker": spawn([PY, "-m", "celery", "-A", "esm", "worker", "-l", "warning", "-c", "2"], log=jobs_log),
        "beat": spawn([PY, "-m", "celery", "-A", "esm", "beat", "-l", "warning",
                       "-s", str(VAR_DIR / "celerybeat-schedule")], log=jobs_log),
    }  # fmt: skip
    shown, address = served_host(host), site_url(host, port)
    announced = False
    try:
        while True:
            for name, proc in procs.items():
                if proc.poll() is not None:
                    where = f" (its output: {jobs_log.relative_to(BASE_DIR)})" if name != "web" else ""
                    print(f"\n{name} exited ({proc.returncode}){where}; stopping the others.", file=sys.stderr)
                    return proc.returncode if proc.returncode > 0 else 1
            if not announced and _port_open(shown, port):
                announced = True
                print(
                    f"\n  ESM is running:  {address}/portal/  (self-service portal)\n"
                    f"                   {address}/desk/    (agent console)\n"
                    "  demo logins: see README.md (Demo logins)\n"
                    f"  background jobs, and the e-mails they send: {jobs_log.relative_to(BASE_DIR)}\n"
                    "  Press Ctrl-C to stop.\n",
                    flush=True,
                )
            time.sleep(0.5)
    except (KeyboardInterrupt, Terminated):
        print("\nStopping ESM ...", flush=True)
        return 0
    finally:
        _ignore_signals()
        stop_children(procs)


def cmd_test(args: list[str]) -> int:
    os.environ.setdefault("SECRET_KEY", "test-only-" + secrets.token_urlsafe(16))
    # No persistent connections in tests: the browser tests' live-server thread must not keep a
    # session open on the test database, or it cannot be dropped at the end.
    os.environ.setdefault("DB_CONN_MAX_AGE", "0")
    VAR_DIR.mkdir(exist_ok=True)
    # ESM_TEST_CHECKS=0: pytest only (CI's second run, on the embedded services, has had them already).
    static_checks = os.environ.get("ESM_TEST_CHECKS", "1") != "0"
    if static_checks:
        check([PY, "-m", "ruff", "check", "."])
        check(manage("makemigrations", "--check", "--dry-run"))
    check(manage("vendor_assets"))
    if static_checks:
        check(manage("spectacular", "--validate", "--fail-on-warn", "--file", str(VAR_DIR / "schema.yml")))

    workers = int(os.environ.get("ESM_TEST_WORKERS", "2"))
    user_chose = any(a in ("-n", "--numprocesses") or a.startswith(("-n", "--numprocesses=")) for a in args)
    xdist = ["-n", str(workers)] if workers > 0 and not user_chose else []
    return call([PY, "-m", "pytest", *xdist, *args])


def cmd_manage(args: list[str]) -> int:
    os.environ.setdefault("SECRET_KEY", persistent_secret_key())
    return call(manage(*args))


COMMANDS = {"run": cmd_run, "test": cmd_test, "manage": cmd_manage}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS or (argv[0] == "manage" and len(argv) < 2):
        print(USAGE, file=sys.stderr)
        return 2
    command, args = COMMANDS[argv[0]], argv[1:]
    os.chdir(BASE_DIR)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esm.settings")
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    signal.signal(signal.SIGTERM, _on_terminate)
    signal.signal(signal.SIGHUP, _on_terminate)
    try:
        with embedded.services() as started:
            if started:
                print(f"embedded {' and '.join(started)} running (data in {VAR_DIR})", flush=True)
            try:
                return command(args)
            finally:
                _ignore_signals()  # leaving the `with` stops the services: let nothing interrupt it
    except KeyboardInterrupt:
        return 130
    except Terminated as exc:
        return exc.exit_code
    except RuntimeError as exc:  # the embedded services explain what went wrong
        print(f"esm: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
