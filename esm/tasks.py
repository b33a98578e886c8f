"""Celery tasks of the platform itself."""

from celery import shared_task

from .health import record_heartbeat


@shared_task(name="esm.beat_heartbeat", queue="default", ignore_result=True)
def beat_heartbeat() -> None:
    """Queued by beat on a fixed interval; ``/healthz`` reads the time it last ran."""
    record_heartbeat()
