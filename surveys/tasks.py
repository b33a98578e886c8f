"""Celery tasks of the surveys app: thin, idempotent (docs/architecture.md, rule 4)."""

from celery import shared_task

from . import services


@shared_task(name="surveys.send_due_invitations", queue="default", ignore_result=True)
def send_due_invitations() -> int:
    """Beat: e-mail the survey invitations that fell due (rows claimed with SKIP LOCKED)."""
    return services.invitations_send_due()
