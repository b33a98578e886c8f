"""The CI contract: tests that start other processes carry the `subprocess` marker, because CI runs
that marker a second time on the embedded PostgreSQL and Redis (the path `./esmctl test` takes on a
fresh machine), where socket paths and ports differ from the machine's services."""

import re
from pathlib import Path

import pytest

from esm.embedded import database_url, postgres_url

TESTS = Path(__file__).resolve().parent
SPAWNS = re.compile(r"^\s*(import subprocess|from subprocess |from playwright|.*\bstart_redis\b|.*\bPopen\()", re.M)


def test_every_test_that_starts_processes_is_marked():
    unmarked = [str(path.relative_to(TESTS)) for path in TESTS.rglob("test_*.py")
                if path.name != "test_ci.py" and SPAWNS.search(path.read_text())
                and "pytest.mark.subprocess" not in path.read_text()]
    assert unmarked == []


def test_ci_runs_the_subprocess_tests_on_the_embedded_services_and_fails_on_no_tests():
    script = (TESTS.parent / ".ci" / "run").read_text()
    assert re.search(r"unset DATABASE_URL REDIS_URL.*\n?.*esmctl test -m subprocess", script)
    assert "-eq 5" not in script


@pytest.mark.parametrize("host", ["/home/Dev/esm/var/pgdata", "/tmp/dir with space"])
def test_socket_directory_url_keeps_the_path_in_the_host(host):
    import dj_database_url

    parsed = dj_database_url.parse(postgres_url(host=host, user="postgres", name="test_esm"))
    assert (parsed["HOST"], parsed["NAME"], parsed["USER"]) == (host, "test_esm", "postgres")


def test_tcp_url_keeps_port_and_password():
    import dj_database_url

    url = database_url({"HOST": "127.0.0.1", "PORT": 5433, "NAME": "test_esm_h9a", "USER": "esm",
                        "PASSWORD": "p@ss:w/rd"})
    parsed = dj_database_url.parse(url)
    assert (parsed["HOST"], parsed["PORT"], parsed["NAME"], parsed["PASSWORD"]) == \
        ("127.0.0.1", 5433, "test_esm_h9a", "p@ss:w/rd")
