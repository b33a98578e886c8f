"""The launcher's `run` command: a taken port, the served address, the site URL; the terminal's log."""

import logging
import socket

import pytest
from django.core.exceptions import PermissionDenied
from django.core.handlers.exception import response_for_exception
from django.test import RequestFactory

from esm import launcher


@pytest.fixture
def listening():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_a_listening_port_is_in_use_and_a_free_one_is_not(listening):
    assert launcher.port_in_use("127.0.0.1", listening)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    assert not launcher.port_in_use("127.0.0.1", free)


def test_run_refuses_a_taken_port_before_starting_anything(listening, monkeypatch, capsys):
    started = []
    monkeypatch.setattr(launcher, "check", lambda cmd: started.append(cmd))
    monkeypatch.setattr(launcher, "spawn", lambda cmd, log=None: started.append(cmd))
    monkeypatch.setattr(launcher, "persistent_secret_key", lambda: "k")
    monkeypatch.setenv("PORT", str(listening))
    monkeypatch.delenv("HOST", raising=False)

    assert launcher.cmd_run([]) == 1
    assert started == []
    err = capsys.readouterr().err
    assert f"Port {listening} on 127.0.0.1 is already in use" in err
    assert "PORT=8001 ./esmctl run" in err
    assert "ESM is running" not in err


class Started(Exception):
    pass


def test_run_sets_site_url_to_the_address_it_serves(monkeypatch):
    def first_check(cmd):
        raise Started

    monkeypatch.setattr(launcher, "check", first_check)
    monkeypatch.setattr(launcher, "persistent_secret_key", lambda: "k")
    monkeypatch.setattr(launcher, "port_in_use", lambda host, port: False)
    monkeypatch.setenv("PORT", "8123")
    monkeypatch.setenv("HOST", "0.0.0.0")
    monkeypatch.setenv("SITE_URL", "unset below")  # so that the value cmd_run sets is undone afterwards
    monkeypatch.delenv("SITE_URL")
    with pytest.raises(Started):
        launcher.cmd_run([])
    assert launcher.os.environ["SITE_URL"] == "http://127.0.0.1:8123"


def test_an_explicit_site_url_is_kept(monkeypatch):
    monkeypatch.setattr(launcher, "check", lambda cmd: (_ for _ in ()).throw(Started))
    monkeypatch.setattr(launcher, "persistent_secret_key", lambda: "k")
    monkeypatch.setattr(launcher, "port_in_use", lambda host, port: False)
    monkeypatch.setenv("SITE_URL", "https://esm.example.com")
    with pytest.raises(Started):
        launcher.cmd_run([])
    assert launcher.os.environ["SITE_URL"] == "https://esm.example.com"


@pytest.mark.parametrize(("host", "url"), [("127.0.0.1", "http://127.0.0.1:8000"), ("0.0.0.0", "http://127.0.0.1:8000"),
                                           ("::", "http://127.0.0.1:8000"), ("::1", "http://[::1]:8000"),
                                           ("esm.local", "http://esm.local:8000")])
def test_site_url(host, url):
    assert launcher.site_url(host, 8000) == url


def test_settings_default_site_url_is_the_launchers_default_address():
    from pathlib import Path

    from esm import settings as esm_settings

    # Read from the module's source: the launcher may have exported SITE_URL into this process.
    default = f'"SITE_URL", "{launcher.site_url("127.0.0.1", 8000)}"'
    assert default in Path(esm_settings.__file__).read_text()


def test_a_refused_request_logs_one_line_without_traceback(caplog):
    request = RequestFactory().get("/desk/cmdb/new/")
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = response_for_exception(request, PermissionDenied())
    assert response.status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.WARNING and record.getMessage() == "Forbidden (Permission denied): /desk/cmdb/new/"
    assert record.exc_info is None and "Traceback" not in caplog.text


def test_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("esm/favicon.svg")
    assert "max-age=86400" in response["Cache-Control"]
