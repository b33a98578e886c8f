"""What ``/healthz`` checks: the database, Redis and the Celery beat heartbeat — each cheap.

Beat queues ``esm.beat_heartbeat`` every ``BEAT_HEARTBEAT_SECONDS``; the worker that runs it
stores the time in the cache (Redis). A fresh heartbeat therefore says that beat, the broker and
a worker all move. Redis is pinged with a short socket timeout, so a hung Redis cannot hang the
health check.
"""

import time

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection

HEARTBEAT_KEY = "esm:beat:heartbeat"
REDIS_TIMEOUT = 0.5  # seconds, for connecting and for the answer

_redis_client = None


def redis_client() -> redis.Redis:
    global _redis_client
    if _redis_client is None:
        _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=REDIS_TIMEOUT,
                                             socket_timeout=REDIS_TIMEOUT)
    return _redis_client


def record_heartbeat(now: float | None = None) -> None:
    cache.set(HEARTBEAT_KEY, time.time() if now is None else now, timeout=None)


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any failure is "down"
        return "down"
    return "ok"


def check_redis() -> str:
    try:
        redis_client().ping()
    except (redis.RedisError, OSError):
        return "down"
    return "ok"


def check_beat(now: float | None = None) -> str:
    try:
        last = cache.get(HEARTBEAT_KEY)
    except Exception:  # noqa: BLE001 - the cache is Redis: unreadable while it is down
        return "unknown"
    if last is None:
        return "missing"
    age = int((time.time() if now is None else now) - last)
    return "ok" if age <= settings.BEAT_STALE_SECONDS else f"stale {age}s"


def checks() -> dict[str, str]:
    return {"database": check_database(), "redis": check_redis(), "beat": check_beat()}
