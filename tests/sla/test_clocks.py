"""Clocks derived from the ticket's history: start, pause, resume, stop, re-target, OLA and UC clocks."""

from datetime import UTC, datetime, timedelta

from incidents import services as incidents
from incidents.choices import IncidentState, OnHoldReason
from sla.choices import AgreementType, ClockState, Metric
from sla.models import Clock, Recomputation

from .conftest import MONDAY_10

HOUR = 3600


def clock(ticket, metric=Metric.RESOLUTION, type_=AgreementType.SLA, segment=0):
    return Clock.objects.get(ticket=ticket, type=type_, metric=metric, segment=segment)


def test_p3_incident_gets_business_hour_clocks(at, make_incident, service):
    with at(MONDAY_10):
        ticket = make_incident(impact=2, urgency=2, service=service)  # P3
    response = clock(ticket, Metric.RESPONSE)
    resolution = clock(ticket)
    assert response.definition.name == "Incident P3 - Moderate"
    assert response.due_at == datetime(2026, 3, 2, 14, tzinfo=UTC)  # 4 business hours
    assert resolution.due_at == datetime(2026, 3, 5, 10, tzinfo=UTC)  # 3 business days of 8 h
    assert resolution.state == ClockState.RUNNING
    assert resolution.next_check_at == datetime(2026, 3, 3, 14, tzinfo=UTC)  # 50 % = 12 business hours


def test_p1_runs_around_the_clock(at, make_incident, service):
    saturday = datetime(2026, 3, 7, 23, tzinfo=UTC)
    with at(saturday):
        ticket = make_incident(impact=1, urgency=1, service=service)
    assert clock(ticket, Metric.RESPONSE).due_at == saturday + timedelta(minutes=15)
    assert clock(ticket).due_at == saturday + timedelta(hours=4)


def test_agent_reply_stops_response_clock(at, make_incident, service, agent):
    with at(MONDAY_10):
        ticket = make_incident(impact=2, urgency=2, service=service)
    with at(MONDAY_10 + timedelta(minutes=30)):
        incidents.incident_comment(ticket=ticket, actor=agent, body="Looking into it", public=True)
    response = clock(ticket, Metric.RESPONSE)
    assert response.state == ClockState.STOPPED
    assert response.stopped_at == MONDAY_10 + timedelta(minutes=30)
    assert response.elapsed_seconds == 30 * 60
    assert not response.breached
    assert response.next_check_at is None
    assert clock(ticket).state == ClockState.RUNNING


def test_requester_reply_does_not_count_as_response(at, make_incident, service, requester):
    with at(MONDAY_10):
        ticket = make_incident(impact=2, urgency=2, service=service)
    with at(MONDAY_10 + timedelta(minutes=30)):
        incidents.incident_comment(ticket=ticket, actor=requester, body="Any news?", public=True)
    assert clock(ticket, Metric.RESPONSE).state == ClockState.RUNNING




def test_awaiting_caller_pauses_and_resumes(at, make_incident, service, agent):
    with at(MONDAY_10):
        ticket = make_incident(impact=2, urgency=2, service=service)
    with at(MONDAY_10 + timedelta(hours=1)):
        incidents.incident_transition(ticket=ticket, actor=agent, to=IncidentState.ON_HOLD,
                                      on_hold_reason=OnHoldReason.AWAITING_CALLER)
    paused = clock(ticket)
    assert paused.state == ClockState.PAUSED
    assert paused.due_at is None
    assert paused.elapsed_seconds == HOUR
    assert paused.paused_since == MONDAY_10 + timedelta(hours=1)
    assert paused.next_check_at is None  # nothing can fall due while paused
    with at(MONDAY_10 + timedelta(hours=3)):
        incidents.incident_transition(ticket=ticket, actor=agent, to=IncidentState.IN_PROGRESS)
    resumed = clock(ticket)
    assert resumed.state == ClockState.RUNNING
    assert resumed.due_at == datetime(2026, 3, 5, 12, tzinfo=UTC)  # two hours later than without the hold
    assert resumed.pauses == [{"from": "2026-03-02T11:00:00+00:00", "until": "2026-03-02T13:00:00+00:00",
                               "state": "on_hold", "reason": "awaiting_caller"}]


def test_awaiting_vendor_keeps_sla_running_and_starts_the_uc(at, make_incident, service, agent):
    with at(MONDAY_10):
        ticket = make_incident(impact=2, urgency=2, service=service)
    with at(MONDAY_10 + timedelta(hours=1)):
        incidents.incident_transition(ticket=ticket, actor=agent, to=IncidentState.ON_HOLD,
                                      on_hold_reason=OnHoldReason.AWAITING_VENDOR)
    assert clock(ticket).state == ClockState.RUNNING
    uc = clock(ticket, type_=AgreementType.UC)
    assert uc.state == ClockState.RUNNING
    assert uc.started_at == MONDAY_10 + timedelta(hours=1)
    with at(MONDAY_10 + timedelta(hours=4)):
        incidents.incident_transition(ticket=ticket, actor=agent, to=IncidentState.IN_PROGRESS)
    uc = clock(ticket, type_=AgreementType.UC)
    assert uc.state == ClockState.PAUSED
    assert uc.elapsed_seconds == 3 * HOUR


def test_resolution_stops_and_reopen_resumes(at, make_incident, service, agent, requester):
    with at(MONDAY_10):
        ticket = make_incident(impact=2, urgency=2, service=service)
    with at(MONDAY_10 + timedelta(hours=2)):
        incidents.incident_transition(ticket=ticket, actor=agent, to=IncidentState.RESOLVED,
                                      resolution_code="solved_permanently", resolution_notes="Fixed")
    stopped = clock(ticket)
    assert stopped.state == ClockState.STOPPED
    assert stopped.elapsed_seconds == 2 * HOUR
    with at(MONDAY_10 + timedelta(hours=5)):
        incidents.incident_transition(ticket=ticket, actor=requester, to=IncidentState.IN_PROGRESS)
    reopened = clock(ticket)
    assert reopened.state == ClockState.RUNNING
    assert reopened.elapsed_seconds == 2 * HOUR  # the resolved hours did not count
    assert reopened.running_since == MONDAY_10 + timedelta(hours=5)


def test_priority_change_retargets_from_history_as_if_from_the_start(at, make_incident, service, agent):
    """Paused time is neither lost nor counted twice when the SLA changes (LESSONS: SLA clocks that lie)."""
    with at(MONDAY_10):
        ticket = make_incident(impact=2, urgency=2, service=service)  # P3, business hours
    with at(MONDAY_10 + timedelta(hours=1)):
        incidents.incident_transition(ticket=ticket, actor=agent, to=IncidentState.ON_HOLD,
                                      on_hold_reason=OnHoldReason.AWAITING_CALLER)
    with at(MONDAY_10 + timedelta(hours=3)):
        incidents.incident_transition(ticket=ticket, actor=agent, to=IncidentState.IN_PROGRESS)
    with at(MONDAY_10 + timedelta(hours=4)):
        incidents.incident_update(ticket=ticket, actor=agent, impact=1, urgency=1)  # → P1, 24×7, 4 h
    retargeted = clock(ticket)
    assert retargeted.definition.name == "Incident P1 - Critical"
    # Counted since opening: 1 h before the hold + 1 h after it = 2 h; 2 h of the 4 h remain from 13:00.
    assert retargeted.elapsed_seconds == 2 * HOUR - HOUR  # up to running_since (13:00): 1 h
    assert retargeted.running_since == MONDAY_10 + timedelta(hours=3)
    assert retargeted.due_at == MONDAY_10 + timedelta(hours=3) + timedelta(hours=3)
    log = Recomputation.objects.get(ticket=ticket, reason="priority changed")
    assert {c["metric"] for c in log.changes} == {"response", "resolution"}
    # Doing it again changes nothing and records nothing more.
    with at(MONDAY_10 + timedelta(hours=4, minutes=5)):
        incidents.incident_update(ticket=ticket, actor=agent, impact=1, urgency=1)
    assert Recomputation.objects.filter(ticket=ticket).count() == 1
    assert clock(ticket).due_at == retargeted.due_at


def test_team_change_gives_each_team_its_own_ola_clock(at, make_incident, service, agent, other_team):
    with at(MONDAY_10):
        ticket = make_incident(impact=2, urgency=2, service=service)
    with at(MONDAY_10 + timedelta(hours=2)):
        incidents.incident_assign(ticket=ticket, actor=agent, team=other_team)
    first = Clock.objects.get(ticket=ticket, type=AgreementType.OLA, metric=Metric.RESOLUTION, segment=0,
                              team=service.support_team)
    second = Clock.objects.get(ticket=ticket, type=AgreementType.OLA, metric=Metric.RESOLUTION, team=other_team)
    assert first.state == ClockState.STOPPED
    assert first.elapsed_seconds == 2 * HOUR
    assert second.state == ClockState.RUNNING
    assert second.started_at == MONDAY_10 + timedelta(hours=2)
