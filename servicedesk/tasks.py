"""Celery tasks of the service desk: thin, idempotent, primary keys only."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from esm.queueing import enqueue

from .models import Notification
from .notifications import mail_subject

MAX_ATTEMPTS = 8


@shared_task(name="servicedesk.send_notification", queue="default", ignore_result=True)
def send_notification(notification_id: int) -> None:
    """Send one outbox e-mail once: claim it with a row lock, send, mark it sent."""
    with transaction.atomic():
        note = (Notification.objects.select_for_update(skip_locked=True)
                .filter(pk=notification_id, sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS).first())
        if note is None:
            return  # already sent, being sent by another worker, or given up
        try:
            EmailMessage(mail_subject(note.subject), note.body, settings.DEFAULT_FROM_EMAIL, [note.to_email]).send()
        except Exception as exc:  # noqa: BLE001 - recorded and retried by flush_outbox
            Notification.objects.filter(pk=note.pk).update(attempts=F("attempts") + 1, last_error=str(exc)[:2000])
            return
        Notification.objects.filter(pk=note.pk).update(sent_at=timezone.now(), attempts=F("attempts") + 1,
                                                       last_error="")


@shared_task(name="servicedesk.flush_outbox", queue="default", ignore_result=True)
def flush_outbox() -> int:
    """Re-queue outbox rows older than a minute that are still unsent (a lost message, a mail outage)."""
    cutoff = timezone.now() - timedelta(minutes=1)
    ids = list(Notification.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS, created_at__lt=cutoff)
               .order_by("id").values_list("id", flat=True)[:500])
    for pk in ids:
        enqueue(send_notification, pk)
    return len(ids)


@shared_task(name="servicedesk.approval_timeouts", queue="default", ignore_result=True)
def approval_timeouts() -> int:
    """Apply the time-outs of approval steps that have fallen due (rule 5)."""
    from .approvals import time_out_due

    return time_out_due()
