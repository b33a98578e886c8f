"""Clocks follow the service desk's lifecycle signals: one recompute per business change, none lost.

The business transaction marks the ticket's clocks dirty; the after-commit recompute clears the
mark, and the beat sweep repairs a ticket whose recompute never ran (the process died after commit).
"""

from datetime import timedelta
from unittest import mock

import time_machine

from incidents import services as incidents
from incidents.choices import IncidentState
from servicedesk.models import Ticket
from sla import services as sla_services
from sla.choices import Metric
from sla.models import Clock

from .conftest import MONDAY_10


def resolution_clock(ticket):
    return Clock.objects.get(ticket=ticket, metric=Metric.RESOLUTION, type="sla")


def test_a_priority_change_recomputes_once(at, make_incident, service, agent):
    with at(MONDAY_10):
        ticket = make_incident(impact=3, urgency=3, service=service)
    with mock.patch.object(sla_services, "clocks_recompute", wraps=sla_services.clocks_recompute) as recompute, \
            at(MONDAY_10 + timedelta(minutes=5)):
        incidents.incident_update(ticket=ticket, actor=agent, impact=1, urgency=1)
    assert recompute.call_count == 1
    assert resolution_clock(ticket).definition.name == "Incident P1 - Critical"


def test_each_business_change_derives_the_clocks_once(at, make_incident, service, agent):
    before = sla_services.derived.count
    with at(MONDAY_10):
        ticket = make_incident(impact=2, urgency=2, service=service)
    assert sla_services.derived.count == before + 1
    # A move with a note sends ticket_state_changed and ticket_commented: still one recompute.
    with at(MONDAY_10 + timedelta(minutes=5)):
        incidents.incident_transition(ticket=ticket, actor=agent, to=IncidentState.IN_PROGRESS, note="On it")
    assert sla_services.derived.count == before + 2
    ticket.refresh_from_db()
    assert ticket.sla_dirty_since is None


def test_a_save_outside_the_services_recomputes_nothing(at, make_incident, service):
    with at(MONDAY_10):
        ticket = make_incident(impact=2, urgency=2, service=service)
    with mock.patch.object(sla_services, "clocks_recompute") as recompute, at(MONDAY_10 + timedelta(minutes=5)):
        Ticket.objects.get(pk=ticket.pk).save()
    assert recompute.call_count == 0


def test_the_sweep_repairs_a_clock_whose_recompute_died_with_the_process(
        at, make_incident, service, agent, django_capture_on_commit_callbacks):
    with at(MONDAY_10):
        ticket = make_incident(impact=3, urgency=3, service=service)
    assert resolution_clock(ticket).definition.name != "Incident P1 - Critical"
    changed_at = MONDAY_10 + timedelta(minutes=5)
    # The business transaction commits, but its after-commit work never runs.
    with django_capture_on_commit_callbacks(execute=False) as lost, time_machine.travel(changed_at, tick=False):
        incidents.incident_update(ticket=ticket, actor=agent, impact=1, urgency=1)
    assert lost  # the recompute that would have run
    ticket.refresh_from_db()
    assert ticket.sla_dirty_since == changed_at
    assert resolution_clock(ticket).definition.name != "Incident P1 - Critical"  # stale

    # A fresh mark is left to the after-commit recompute; a few seconds later the sweep takes it.
    assert sla_services.clocks_sweep_dirty(older_than=5, now=changed_at + timedelta(seconds=1)) == 0
    assert sla_services.clocks_sweep_dirty(older_than=5, now=changed_at + timedelta(seconds=10)) == 1
    clock = resolution_clock(ticket)
    assert clock.definition.name == "Incident P1 - Critical"
    assert clock.due_at == MONDAY_10 + timedelta(hours=4)  # as if P1 had applied from the start
    ticket.refresh_from_db()
    assert ticket.sla_dirty_since is None
    assert sla_services.clocks_sweep_dirty(older_than=5, now=changed_at + timedelta(minutes=1)) == 0
