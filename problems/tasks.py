"""Celery tasks of problem management: thin wrappers over services."""

import pghistory
from celery import shared_task

from . import services


@shared_task(name="problems.detect_candidates", queue="default", ignore_result=True)
def detect_candidates() -> int:
    with pghistory.context(task="problems.detect_candidates"):
        return len(services.candidates_detect().proposed)
