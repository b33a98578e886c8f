"""Redis restarted and its queue lost, with a real Celery worker: every breach is recorded once and
every escalation runs once, because the deadlines and the runs live in the database (docs/architecture.md, rule 5)."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.utils import timezone

from esm.celery import app as celery_app
from esm.embedded import database_url, start_redis
from servicedesk.models import Notification
from sla import scan
from sla.choices import BREACH, RunStatus
from sla.models import Clock, ClockEvent, EscalationRun
from sla.tasks import run_escalation

pytestmark = [pytest.mark.subprocess, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def start_worker(redis_url: str, log_path) -> subprocess.Popen:
    env = {**os.environ, "REDIS_URL": redis_url, "ESM_ALLOW_INSECURE_KEY": "1", "DB_CONN_MAX_AGE": "0",
           "CELERY_TASK_ALWAYS_EAGER": "0", "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
           "DATABASE_URL": database_url(connection.settings_dict)}
    log = open(log_path, "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "esm.celery", "worker", "--pool", "solo", "-Q", "default",
         "--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "WARNING"],
        cwd=settings.BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def reset_connections():
    """Drop the app's broker connections, so the next message goes to the current broker URL."""
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def wait_for(condition, timeout=45.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_lost_queue_is_redriven_and_nothing_runs_twice(make_incident, service, agent, tmp_path,
                                                       django_capture_on_commit_callbacks):
    # Incidents opened a day ago: their response and resolution targets have passed.
    with time_machine.travel(timezone.now() - timedelta(days=1), tick=False), \
            django_capture_on_commit_callbacks(execute=True):
        tickets = [make_incident(impact=1, urgency=1, service=service) for _ in range(3)]

    redis_url, redis = start_redis(dir=tmp_path / "redis", persist=False)
    worker = None
    # The app reads settings with the CELERY_ namespace, so its keys carry the prefix.
    old_conf = {k: celery_app.conf.get(k) for k in ("CELERY_BROKER_URL", "CELERY_TASK_ALWAYS_EAGER")}
    celery_app.conf.update(CELERY_BROKER_URL=redis_url, CELERY_TASK_ALWAYS_EAGER=False)
    assert celery_app.connection_for_write().as_uri() == redis_url
    reset_connections()
    try:
        # 1. The scan records the breaches and queues the escalations; no worker is there to take them.
        first = scan.scan()
        assert first.events > 0 and first.runs > 0
        runs = EscalationRun.objects.filter(clock__ticket__in=tickets)
        assert runs.filter(status=RunStatus.PENDING).count() == first.runs

        # 2. Redis dies without persistence and comes back empty: the queued messages are gone.
        os.kill(redis.pid, signal.SIGKILL)
        redis.stop()
        redis.start()
        reset_connections()
        worker = start_worker(redis_url, tmp_path / "worker.log")

        # 3. Nothing happens until the scan re-drives the runs still pending.
        time.sleep(2)
        assert runs.filter(status=RunStatus.PENDING).count() == first.runs
        redriven = scan.scan(now=timezone.now() + timedelta(seconds=settings.SLA_REDRIVE_AFTER + 1))
        assert redriven.redriven == first.runs and redriven.events == 0
        assert wait_for(lambda: not runs.filter(status=RunStatus.PENDING).exists()), \
            (tmp_path / "worker.log").read_text()[-3000:]

        # 4. Duplicate messages (a second re-drive, a redelivery) change nothing.
        for run in runs:
            run_escalation.delay(run.pk)
        mails = Notification.objects.filter(ticket__in=tickets, reason__startswith="sla_")
        settle = mails.count()
        time.sleep(2)
        assert mails.count() == settle
    finally:
        if worker is not None:
            worker.terminate()
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
        redis.stop()
        celery_app.conf.update(**old_conf)
        reset_connections()

    # Every breach recorded once, every run done once, one e-mail per notifying run.
    assert ClockEvent.objects.filter(clock__ticket__in=tickets, threshold=BREACH).count() == \
        Clock.objects.filter(ticket__in=tickets, breached=True).count()
    assert runs.exclude(status=RunStatus.PENDING).count() == first.runs  # done, or skipped (no assignee yet)
    assert runs.filter(status=RunStatus.DONE).exists()
    assert all(r.attempts == 1 for r in runs)
    notifying = runs.filter(rule__action__startswith="notify_", result__startswith="notified").count()
    assert mails.count() == notifying
