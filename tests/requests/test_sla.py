"""SLA definitions apply to requests and fulfilment tasks by their kind, as to incidents."""

import pytest

from catalog.models import FulfilmentTask
from sla.choices import ClockState, Metric
from sla.models import Calendar, Clock, SlaDefinition, SlaTarget

from .conftest import order

pytestmark = pytest.mark.django_db


def test_a_definition_for_tasks_runs_a_clock_that_stops_when_the_task_closes(agent, requester, password_reset,
                                                                              django_capture_on_commit_callbacks):
    calendar = Calendar.objects.order_by("id").first() or Calendar.objects.create(name="24x7")
    definition = SlaDefinition.objects.create(name="Tasks in a day", calendar=calendar, order=1, kinds=["task"])
    SlaTarget.objects.create(definition=definition, metric=Metric.RESOLUTION, seconds=8 * 3600)
    requests = SlaDefinition.objects.create(name="Requests in a week", calendar=calendar, order=2,
                                            kinds=["request"])
    SlaTarget.objects.create(definition=requests, metric=Metric.RESOLUTION, seconds=40 * 3600)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = order(requester, (password_reset, 1, {}))
    task = FulfilmentTask.objects.get(requested_item__request_id=ticket.pk).ticket
    task_clock = Clock.objects.get(ticket=task, metric=Metric.RESOLUTION)
    assert task_clock.definition_id == definition.pk and task_clock.state == ClockState.RUNNING
    assert Clock.objects.get(ticket=ticket, metric=Metric.RESOLUTION).definition_id == requests.pk

    from catalog import fulfilment

    with django_capture_on_commit_callbacks(execute=True):
        fulfilment.task_transition(ticket=task, actor=agent, to="closed_complete")
    task_clock.refresh_from_db()
    assert task_clock.state == ClockState.STOPPED
    assert Clock.objects.get(ticket=ticket, metric=Metric.RESOLUTION).state == ClockState.STOPPED
