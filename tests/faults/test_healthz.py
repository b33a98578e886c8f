"""/healthz: database, Redis and the beat heartbeat; 503 with JSON naming what is down."""

import time

import pytest
import redis

from esm import health
from esm.tasks import beat_heartbeat

pytestmark = pytest.mark.django_db


class FakeRedis:
    def __init__(self, up=True):
        self.up = up

    def ping(self):
        if not self.up:
            raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
        return True


@pytest.fixture
def redis_up(monkeypatch):
    monkeypatch.setattr(health, "_redis_client", FakeRedis(up=True))


def test_healthy_when_the_beat_heartbeat_is_fresh(client, redis_up):
    beat_heartbeat.delay()  # what beat queues every BEAT_HEARTBEAT_SECONDS
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "redis": "ok", "beat": "ok"}}
    assert response["Cache-Control"] == "no-store"


def test_stale_or_missing_heartbeat_is_degraded(client, redis_up, settings):
    assert client.get("/healthz").json()["checks"]["beat"] == "missing"
    health.record_heartbeat(time.time() - 300)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["beat"].startswith("stale 30")  # "stale 300s"


def test_redis_down_is_named_and_answered_quickly(client, monkeypatch, django_assert_max_num_queries):
    monkeypatch.setattr(health, "_redis_client", FakeRedis(up=False))
    health.record_heartbeat()
    with django_assert_max_num_queries(1):  # cheap: one SELECT 1
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "checks": {"database": "ok", "redis": "down", "beat": "ok"}}


def test_a_real_closed_port_is_down_within_the_socket_timeout(settings, monkeypatch):
    monkeypatch.setattr(health, "_redis_client", None)
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    started = time.monotonic()
    assert health.check_redis() == "down"
    assert time.monotonic() - started < 2


def test_livez_needs_only_the_process_and_database(client):
    assert client.get("/livez").content == b"ok"
