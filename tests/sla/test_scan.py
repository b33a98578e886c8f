"""The breach scan: warnings and breaches recorded once, escalations run once, whatever happens."""

import threading
from datetime import UTC, datetime, timedelta
from unittest import mock

import pytest
from django.db import connection, connections
from django.db.utils import OperationalError

from servicedesk.models import Notification, Ticket
from sla import scan
from sla.choices import BREACH, EscalationAction, Metric, RunStatus
from sla.models import Clock, ClockEvent, EscalationRule, EscalationRun, SlaDefinition

from .conftest import MONDAY_10

P3 = "Incident P3 - Moderate"


@pytest.fixture
def p3(at, make_incident, service, agent):
    with at(MONDAY_10):
        ticket = make_incident(impact=2, urgency=2, service=service)  # routed to the service desk team
    return ticket


def events(ticket):
    return sorted(ClockEvent.objects.filter(clock__ticket=ticket).values_list("clock__type", "clock__metric",
                                                                            "threshold"))


def test_thresholds_and_breach_recorded_once_within_30_seconds(at, p3):
    response_due = datetime(2026, 3, 2, 14, tzinfo=UTC)
    with at(response_due - timedelta(seconds=1)):
        scan.scan()
    assert ("sla", "response", BREACH) not in events(p3)
    assert ("sla", "response", 90) in events(p3)
    with at(response_due + timedelta(seconds=5)):  # the next beat tick after the due time
        result = scan.scan()
    assert result.events >= 1
    breach = ClockEvent.objects.get(clock__ticket=p3, clock__type="sla", clock__metric="response", threshold=BREACH)
    assert breach.due_at == response_due
    assert breach.detected_at - breach.due_at < timedelta(seconds=30)
    clock = breach.clock
    clock.refresh_from_db()
    assert clock.breached and clock.breached_at == response_due
    before = events(p3)
    for _ in range(3):  # duplicate ticks
        with at(response_due + timedelta(seconds=10)):
            scan.scan()
    assert events(p3) == before


def test_each_escalation_rule_runs_once(at, p3, agent, lead):
    p3.assignee = agent
    Ticket.objects.filter(pk=p3.pk).update(assignee=agent)
    with at(datetime(2026, 3, 2, 14, 0, 5, tzinfo=UTC)):
        scan.scan()  # response 75 % → notify assignee; 100 % → notify team lead
    runs = EscalationRun.objects.filter(clock__ticket=p3, clock__metric="response", clock__type="sla")
    assert sorted(runs.values_list("rule__action", "status")) == [
        (EscalationAction.NOTIFY_ASSIGNEE, RunStatus.DONE), (EscalationAction.NOTIFY_TEAM_LEAD, RunStatus.DONE)]
    mails = Notification.objects.filter(ticket=p3, reason__startswith="sla_")
    # The team's OLA response clock (2 business hours) breached at noon too: its lead hears of both.
    assert sorted(mails.values_list("reason", "to_email")) == [("sla_breach", lead.email), ("sla_breach", lead.email),
                                                                ("sla_warning", agent.email)]
    # Running a done run again (a duplicate message) does nothing.
    for run in runs:
        assert scan.escalation_run(run_id=run.pk) is None
    assert mails.count() == 3


def add_rule(action, **kwargs):
    definition = SlaDefinition.objects.get(name=P3)
    return EscalationRule.objects.create(definition=definition, metric=Metric.RESPONSE, threshold=BREACH,
                                         action=action, **kwargs)


def test_reassign_to_team(at, p3, other_team):
    add_rule(EscalationAction.REASSIGN_TEAM, team=other_team)
    with at(datetime(2026, 3, 2, 14, 0, 5, tzinfo=UTC)):
        scan.scan()
    p3.refresh_from_db()
    assert p3.team == other_team
    assert p3.timeline.filter(kind="escalated").exists()


def test_raise_priority_retargets(at, p3):
    add_rule(EscalationAction.RAISE_PRIORITY)
    with at(datetime(2026, 3, 2, 14, 0, 5, tzinfo=UTC)):
        scan.scan()
    p3.refresh_from_db()
    assert p3.priority == 2
    clock = Clock.objects.get(ticket=p3, type="sla", metric="resolution")
    assert clock.definition.name == "Incident P2 - High"
    # The response clock keeps its breach, recorded once, under the new agreement too.
    assert ClockEvent.objects.filter(clock__ticket=p3, clock__type="sla", clock__metric="response",
                                     threshold=BREACH).count() == 1


def test_notify_service_owner(at, make_incident, service, agent):
    service.owner = agent
    service.save()
    with at(MONDAY_10):
        ticket = make_incident(impact=1, urgency=1, service=service)  # P1: owner notified on breach
    with at(MONDAY_10 + timedelta(minutes=15, seconds=5)):
        scan.scan()
    assert Notification.objects.filter(ticket=ticket, reason="sla_breach", to_email=agent.email).exists()


def test_worker_killed_mid_escalation_rolls_back_and_is_redriven(at, p3, lead):
    due = datetime(2026, 3, 2, 14, 0, 5, tzinfo=UTC)
    real = scan._perform

    def dies(run):
        real(run)  # the e-mail row is written ...
        raise OperationalError("server closed the connection unexpectedly")  # ... then the worker dies

    with mock.patch("sla.scan._perform", dies), pytest.raises(OperationalError), at(due):
        scan.scan()
    assert not Notification.objects.filter(ticket=p3, reason="sla_breach").exists()
    pending = EscalationRun.objects.filter(clock__ticket=p3, status=RunStatus.PENDING)
    assert pending.exists()
    with at(due + timedelta(seconds=5)):
        assert scan.scan().redriven == 0  # not yet: the message may still be on its way
    with at(due + timedelta(seconds=40)):
        assert scan.scan().redriven == pending.count()
    assert not pending.exists()
    # Once per breached clock with a lead rule (the SLA and the team's OLA response clocks), not more.
    lead_runs = EscalationRun.objects.filter(clock__ticket=p3, rule__action="notify_team_lead", status="done")
    assert lead_runs.count() == 2
    assert Notification.objects.filter(ticket=p3, reason="sla_breach", to_email=lead.email).count() == 2


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_record_each_breach_once(make_incident, service, agent, django_capture_on_commit_callbacks):
    import time_machine

    with time_machine.travel(MONDAY_10, tick=False), django_capture_on_commit_callbacks(execute=True):
        tickets = [make_incident(impact=2, urgency=2, service=service) for _ in range(12)]
    now = datetime(2026, 3, 9, 10, tzinfo=UTC)  # a week later: every SLA and OLA clock has breached
    due_clocks = Clock.objects.filter(ticket__in=tickets, next_check_at__isnull=False).count()
    assert due_clocks >= 24
    barrier = threading.Barrier(2)
    errors = []

    def worker():
        try:
            barrier.wait()
            while scan.scan(now=now, batch=3, budget=0).claimed:  # small rounds, so the two interleave
                pass
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    with mock.patch("sla.tasks.run_escalation.delay"):
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors
    with connection.cursor() as cursor:
        cursor.execute("SELECT clock_id, threshold, count(*) FROM sla_clockevent GROUP BY 1, 2 HAVING count(*) > 1")
        assert cursor.fetchall() == []
    breaches = ClockEvent.objects.filter(clock__ticket__in=tickets, threshold=BREACH).count()
    assert breaches == Clock.objects.filter(ticket__in=tickets, type__in=["sla", "ola"]).count()
    assert not Clock.objects.filter(ticket__in=tickets, next_check_at__lte=now).exists()
