"""Celery tasks of the surveys app: thin, idempotent (docs/architecture.md, rule 4)."""

from celery import shared_task

from . import services


@shared_task(name="surveys.send_due_invitations", queue="default", ignore_result=True)
def send_due_invitations() -> int:
    """Beat: plan surveys a dead process missed, then e-mail the invitations that fell due (rows
    claimed with SKIP LOCKED). Returns how many were sent."""
    services.surveys_sweep_missed()
    return services.invitations_send_due()
