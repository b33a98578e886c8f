"""SLA figures people can read: time left and overdue, holds, business hours, calendars, ordering."""

from datetime import UTC, datetime, time, timedelta

import pytest
from django.urls import reverse

from esm.durations import human_duration, time_left
from incidents import services as incidents
from incidents.choices import IncidentState, OnHoldReason
from sla.choices import AgreementType, Metric
from sla.formatting import hours_summary
from sla.models import Calendar, Clock, SlaDefinition

from .conftest import MONDAY_10

pytestmark = pytest.mark.django_db
HOUR = 3600


def test_durations_and_time_left_read_as_words():
    assert [human_duration(s) for s in (0, 30, 300, HOUR, HOUR + 300, 8 * HOUR, 50 * HOUR + 60)] == [
        "0 min", "< 1 min", "5 min", "1 h", "1 h 5 min", "8 h", "50 h"]
    assert time_left(8 * HOUR + 300) == "8 h 5 min left"
    assert time_left(-8 * HOUR) == "overdue by 8 h"
    assert time_left(0) == "overdue" and time_left(30, breached=True) == "overdue"
    assert time_left(-30) == "overdue by < 1 min"


def test_calendar_hours_in_one_line():
    midnight = time(0)
    assert hours_summary([(d, midnight, midnight) for d in range(7)]) == "24×7"
    assert hours_summary([(d, time(9), time(17)) for d in range(5)]) == "Mon–Fri 09:00–17:00"
    assert hours_summary([(0, time(9), time(12)), (0, time(13), time(18)), (5, time(22), time(6))]) == \
        "Mon 09:00–12:00, 13:00–18:00; Sat 22:00–06:00 (next day)"
    assert hours_summary([(d, midnight, midnight) for d in range(5)]) == "Mon–Fri 24 hours"
    assert hours_summary([]) == "no working hours"


def test_calendar_pages_say_24x7_not_monday_midnight(client, agent):
    client.force_login(agent)
    always = Calendar.objects.get(name="24x7")
    listing = client.get(reverse("desk-sla:calendars")).content.decode()
    assert "24×7" in listing and "Mon–Fri 09:00–17:00" in listing and "00:00–00:00" not in listing
    detail = client.get(reverse("desk-sla:calendar", args=[always.pk])).content.decode()
    assert "24×7" in detail and "Monday 24 hours" in detail and "00:00–00:00" not in detail


def test_definitions_are_grouped_by_type_and_ordered_by_number(client, agent):
    office = Calendar.objects.get(name="Business hours")
    SlaDefinition.objects.create(name="Late SLA", type=AgreementType.SLA, order=100, calendar=office)
    SlaDefinition.objects.create(name="Early SLA", type=AgreementType.SLA, order=5, calendar=office)
    client.force_login(agent)
    page = client.get(reverse("desk-sla:definitions")).content.decode()
    sla_part = page[page.index("<h2"):]
    positions = [sla_part.index(name) for name in ("Early SLA", "Incident P1 - Critical", "Incident P5 - Planning",
                                                   "Late SLA")]
    assert positions == sorted(positions), "5, 10, ..., 50, 100 — by number, not as text"
    p4 = page[page.index("Incident P4 - Low"):]
    assert p4.index("Response") < p4.index("Resolution"), "targets by length"


def test_one_hold_is_one_pause_even_when_the_team_changes_during_it(at, client, make_incident, service, agent,
                                                                   team, other_team):
    with at(MONDAY_10):
        ticket = make_incident(impact=2, urgency=2, service=service)
    with at(MONDAY_10 + timedelta(hours=1)):
        incidents.incident_transition(ticket=ticket, actor=agent, to=IncidentState.IN_PROGRESS)
        incidents.incident_transition(ticket=ticket, actor=agent, to=IncidentState.ON_HOLD,
                                      on_hold_reason=OnHoldReason.AWAITING_CALLER)
    with at(MONDAY_10 + timedelta(hours=2)):
        incidents.incident_assign(ticket=ticket, actor=agent, team=other_team)
    with at(MONDAY_10 + timedelta(hours=3)):
        incidents.incident_assign(ticket=ticket, actor=agent, team=team, assignee=agent)
    resolution = Clock.objects.get(ticket=ticket, type=AgreementType.SLA, metric=Metric.RESOLUTION)
    assert resolution.pauses == [{"from": "2026-03-02T11:00:00+00:00", "until": None, "state": "on_hold",
                                  "reason": "awaiting_caller"}]
    client.force_login(agent)
    with at(MONDAY_10 + timedelta(hours=4)):
        page = client.get(reverse("desk-incidents:detail", args=[ticket.number])).content.decode()
    assert "1 hold<" in page and "pauses" not in page


def test_breached_clock_says_overdue_by(at, client, make_incident, service, agent):
    with at(MONDAY_10):
        ticket = make_incident(impact=2, urgency=2, service=service)  # P3: response 4 business hours
    client.force_login(agent)
    with at(MONDAY_10 + timedelta(days=1, hours=4)):  # Tuesday 14:00: 12 business hours used
        page = client.get(reverse("desk-incidents:detail", args=[ticket.number])).content.decode()
        queue = client.get(reverse("desk:queue"), {"queue": "open"}).content.decode()
    assert "overdue by 8 h" in page and "0 min left" not in page and "-8h" not in page
    assert "overdue by" in queue


def test_outside_business_hours_the_panel_says_why_nothing_is_used(at, client, make_incident, service, agent):
    saturday = datetime(2026, 3, 7, 10, tzinfo=UTC)
    with at(saturday):
        ticket = make_incident(impact=2, urgency=2, service=service)  # P3 on the business-hours calendar
    client.force_login(agent)
    with at(saturday + timedelta(hours=2)):
        page = client.get(reverse("desk-incidents:detail", args=[ticket.number])).content.decode()
    assert "used 0 min — clock not running: outside business hours (Mon–Fri 09:00–17:00)" in page


def test_korean_figures(at, client, make_incident, service, agent):
    agent.language = "ko"
    agent.save()
    with at(MONDAY_10):
        ticket = make_incident(impact=2, urgency=2, service=service)
    client.force_login(agent)
    with at(MONDAY_10 + timedelta(days=1, hours=4)):
        page = client.get(reverse("desk-incidents:detail", args=[ticket.number])).content.decode()
    assert "8시간 초과" in page
    listing = client.get(reverse("desk-sla:calendars")).content.decode()
    assert "월요일–금요일 09:00–17:00" in listing
