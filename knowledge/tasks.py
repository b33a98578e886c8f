"""Celery tasks of the knowledge app: thin wrappers over services (rule 4)."""

import pghistory
from celery import shared_task

from . import services


@shared_task(name="knowledge.open_review_tasks", queue="default", ignore_result=True)
def open_review_tasks() -> int:
    """Beat: review tasks for articles whose valid-to date is near (rule 5: the mark is on the row)."""
    with pghistory.context(task="knowledge.open_review_tasks"):
        return services.review_tasks_open(actor=None)
