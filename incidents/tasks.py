"""Celery tasks of incident management: thin wrappers over services."""

import pghistory
from celery import shared_task

from . import services


@shared_task(name="incidents.autoclose_resolved", queue="default", ignore_result=True)
def autoclose_resolved() -> int:
    with pghistory.context(task="incidents.autoclose_resolved"):
        return services.autoclose_resolved()
