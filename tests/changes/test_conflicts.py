"""Conflicts: overlapping windows on the same or connected CIs (either direction, depth setting), freezes."""

from datetime import timedelta

import pytest

from changes import services
from changes.choices import ChangeState as S
from changes.conflicts import conflicts_for
from changes.models import FreezeWindow
from cmdb.factories import CIFactory, RelationshipFactory, ServiceFactory

pytestmark = pytest.mark.django_db


def texts(ticket):
    ticket.change.refresh_from_db()
    return [c.text for c in conflicts_for(ticket, ticket.change)]


def test_same_ci_in_an_overlapping_window(make_change, ci, window):
    first = make_change(cis=[ci], planned_start=window[0], planned_end=window[1])
    second = make_change(cis=[ci], planned_start=window[0] + timedelta(hours=1), planned_end=window[1])
    assert texts(second) == [f"{first.number} is planned in an overlapping window: both touch mail-01"]
    # Back to back is not overlapping.
    third = make_change(cis=[ci], planned_start=window[1], planned_end=window[1] + timedelta(hours=1))
    assert texts(third) == []


def test_connected_cis_either_direction_and_depth(make_change, window, settings):
    app, server, storage = CIFactory(name="app"), CIFactory(name="server"), CIFactory(name="san")
    RelationshipFactory(source=app, target=server)
    RelationshipFactory(source=server, target=storage)
    on_server = make_change(cis=[server], planned_start=window[0], planned_end=window[1])
    on_app = make_change(cis=[app], planned_start=window[0], planned_end=window[1])
    on_storage = make_change(cis=[storage], planned_start=window[0], planned_end=window[1])
    assert texts(on_app) == [f"{on_server.number} is planned in an overlapping window: "
                             "it touches server, connected to app"]
    assert texts(on_storage) == [f"{on_server.number} is planned in an overlapping window: "
                                 "it touches server, connected to san"]
    settings.CHANGE_CONFLICT_DEPTH = 2
    assert len(texts(on_app)) == 2
    settings.CHANGE_CONFLICT_DEPTH = 0
    assert texts(on_app) == []


def test_finished_changes_do_not_conflict(make_change, manager, ci, window):
    first = make_change(cis=[ci], planned_start=window[0], planned_end=window[1])
    services.change_transition(ticket=first, actor=manager, to=S.CANCELLED)
    second = make_change(cis=[ci], planned_start=window[0], planned_end=window[1])
    assert texts(second) == []


def test_freeze_windows_global_and_on_an_endangered_service(make_change, window):
    server = CIFactory(name="web-01")
    shop = ServiceFactory(name="Web shop")
    RelationshipFactory(source=shop, target=server)
    other = ServiceFactory(name="Intranet")
    FreezeWindow.objects.create(name="Black Friday", service=shop, starts_at=window[0], ends_at=window[1])
    FreezeWindow.objects.create(name="Intranet move", service=other, starts_at=window[0], ends_at=window[1])
    ticket = make_change(cis=[server], planned_start=window[0], planned_end=window[1])
    assert texts(ticket) == ["Freeze window “Black Friday” on Web shop, which this change names or endangers."]
    FreezeWindow.objects.create(name="Year end", starts_at=window[0] - timedelta(days=3), ends_at=window[1])
    assert "Freeze window “Year end” applies to every change." in texts(ticket)


def test_cab_agenda_reads_conflicts_for_all_rows_at_once(make_change, agent, cab_rules, ci, window,
                                                         django_assert_max_num_queries):
    from changes.queries import cab_agenda

    for _ in range(3):
        ticket = make_change(cis=[ci], planned_start=window[0], planned_end=window[1])
        services.change_transition(ticket=ticket, actor=agent, to=S.ASSESSMENT)
        services.change_transition(ticket=ticket, actor=agent, to=S.AUTHORIZATION)
    with django_assert_max_num_queries(5):
        agenda = cab_agenda(agent)
    assert len(agenda) == 3 and all(len(t.conflicts) == 2 for t in agenda)
