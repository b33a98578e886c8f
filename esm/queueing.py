"""Queueing Celery tasks after commit, without ever failing the request that caused them.

A write commits first and queues its task afterwards. When the broker (Redis) is down at that
moment the record is already saved, so raising would answer 500 for a change that happened and
invite a duplicate retry. Instead the failure is logged and recorded (``esm.QueueFailure``, in the
admin) and the request carries on: the notification outbox (``servicedesk.flush_outbox``) and the
SLA scan's escalation redrive queue their work again once the broker is back.

Every task in ESM is queued through :func:`enqueue_on_commit` or :func:`enqueue`.
"""

import logging

import kombu.exceptions
import redis.exceptions
from django.db import transaction

log = logging.getLogger("esm.queueing")

# What publishing raises when the broker cannot be reached. Not Exception: with eager tasks
# (tests, CELERY_TASK_ALWAYS_EAGER) the task runs inside apply_async, and its own bugs must surface.
BROKER_ERRORS = (kombu.exceptions.OperationalError, redis.exceptions.RedisError, ConnectionError, TimeoutError)


def enqueue(task, *args, **kwargs) -> bool:
    """Queue ``task`` now; False (logged and recorded) when the broker cannot take it."""
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except BROKER_ERRORS as exc:
        name = getattr(task, "name", repr(task))
        log.warning("Could not queue %s%r: %s (the outbox or the next scan queues it again)", name, args, exc)
        _record(name, args, kwargs, exc)
        return False
    return True


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Queue ``task`` once the current transaction commits (nothing when it rolls back)."""
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))


def _record(name: str, args: tuple, kwargs: dict, exc: Exception) -> None:
    from .models import QueueFailure

    try:
        QueueFailure.objects.create(task=name[:200], arguments={"args": list(args), "kwargs": kwargs},
                                    error=f"{type(exc).__name__}: {exc}"[:2000])
    except Exception:  # the database may be failing too; the log line above stays
        log.exception("Could not record the failed queueing of %s", name)
