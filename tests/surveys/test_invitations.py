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


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keeps the roles migrations made
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


def test_the_sweep_plans_a_resolution_whose_signal_never_ran(make_incident, policy, agent, team, requester):
    from incidents import services as incidents
    from incidents.choices import IncidentState

    ticket = make_incident()
    incidents.incident_assign(ticket=ticket, actor=agent, team=team, assignee=agent)
    # No on-commit callbacks run: as if the process died right after the commit.
    incidents.incident_transition(ticket=ticket, actor=agent, to=IncidentState.RESOLVED,
                                  resolution_code="solved_permanently", resolution_notes="Fixed.")
    assert not Survey.objects.filter(ticket=ticket).exists()
    assert services.surveys_sweep_missed(now=timezone.now()) == 0  # the signal's grace period
    later = timezone.now() + timedelta(minutes=5)
    assert services.surveys_sweep_missed(now=later) == 1
    survey = Survey.objects.get(ticket=ticket)
    assert survey.agent == agent and survey.due_at is not None
    assert services.surveys_sweep_missed(now=later) == 0  # planned once
    assert services.surveys_sweep_missed(now=timezone.now() + timedelta(days=2)) == 0  # outside the window


def test_the_sweep_respects_who_resolved_it(make_incident, policy, requester):
    from servicedesk.choices import EventKind
    from servicedesk.models import TimelineEntry

    ticket = make_incident()
    ticket.state, ticket.resolved_at = "resolved", timezone.now()
    ticket.save(update_fields=["state", "resolved_at"])
    TimelineEntry.objects.create(ticket=ticket, actor=requester, kind=EventKind.STATE,
                                 data={"source": "in_progress", "target": "resolved"})
    assert services.surveys_sweep_missed(now=timezone.now() + timedelta(minutes=5)) == 0
