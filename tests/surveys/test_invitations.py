"""Invitations fall due in the database and a beat scan sends them through the outbox (rule 5)."""

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from servicedesk.models import Notification
from surveys import links, services, tasks
from surveys.models import Survey


def test_the_scan_sends_due_invitations_once_with_a_signed_link(make_incident, resolve, policy, requester,
                                                                 django_capture_on_commit_callbacks):
    policy.delay_minutes = 60
    policy.save()
    survey = resolve(make_incident())
    assert services.invitations_send_due(now=timezone.now()) == 0  # not due for an hour
    later = timezone.now() + timedelta(minutes=61)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.invitations_send_due(now=later) == 1
    assert services.invitations_send_due(now=later) == 0  # sent once
    survey.refresh_from_db()
    assert survey.invited_at == later and survey.due_at is None
    assert survey.expires_at == later + timedelta(days=14)
    note = Notification.objects.get(reason="survey_invitation")
    assert note.recipient == requester and note.sent_at is not None
    assert survey.ticket.number in note.subject
    url = next(line for line in note.body.splitlines() if "/portal/survey/" in line).strip()
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert links.read_token(token) == survey.ticket_id


def test_the_beat_task_runs_the_scan(invited, make_incident, resolve):
    survey = resolve(make_incident())
    Survey.objects.filter(pk=survey.pk).update(due_at=timezone.now() - timedelta(seconds=1))
    assert tasks.send_due_invitations() == 1


def test_a_policy_switched_off_meanwhile_sends_nothing(make_incident, resolve, policy):
    survey = resolve(make_incident())
    policy.active = False
    policy.save()
    assert services.invitations_send_due(now=timezone.now() + timedelta(minutes=1)) == 0
    survey.refresh_from_db()
    assert survey.invited_at is None and survey.due_at is None
    assert not Notification.objects.filter(reason="survey_invitation").exists()


@pytest.mark.django_db(transaction=True)
def test_a_row_claimed_by_another_worker_is_skipped_not_waited_for(make_incident, resolve, policy):
    first, second = resolve(make_incident()), resolve(make_incident())
    claimed, release = threading.Event(), threading.Event()

    def other_worker():
        with transaction.atomic():
            Survey.objects.select_for_update().get(pk=first.pk)
            claimed.set()
            release.wait(10)
        connection.close()

    worker = threading.Thread(target=other_worker)
    worker.start()
    try:
        assert claimed.wait(10)
        assert services.invitations_send_due(now=timezone.now() + timedelta(minutes=1)) == 1
    finally:
        release.set()
        worker.join()
    assert Survey.objects.get(pk=second.pk).invited_at is not None
    assert Survey.objects.get(pk=first.pk).invited_at is None
    assert services.invitations_send_due(now=timezone.now() + timedelta(minutes=1)) == 1  # the next tick
