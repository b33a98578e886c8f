"""The change queues, calendar, CAB agenda and metrics: who sees them, what they show, flat reads."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from changes import services
from changes.choices import ChangeState, ImplementationOutcome, LinkRelation
from changes.models import CalendarFeedToken, FreezeWindow

pytestmark = pytest.mark.django_db

LIST = reverse("desk-changes:list")


def test_queues_and_filters(agent_client, make_change, agent, manager, window):
    mine = make_change(title="Mine to do", assignee=agent)
    other = make_change(title="Someone else's", actor=manager, change_manager=None)
    html = agent_client.get(LIST).content.decode()
    assert mine.number in html and other.number not in html, "My changes: requester, manager or implementer"
    html = agent_client.get(LIST, {"queue": "open"}).content.decode()
    assert mine.number in html and other.number in html
    assert "Planned window" in html and "Change manager" in html
    html = agent_client.get(LIST, {"queue": "open", "q": "Mine"}).content.decode()
    assert mine.number in html and other.number not in html
    html = agent_client.get(LIST, {"queue": "open", "type": "emergency"}).content.decode()
    assert mine.number not in html
    scheduled = make_change(title="This week", planned_start=timezone.now() + timedelta(hours=1),
                            planned_end=timezone.now() + timedelta(hours=2))
    html = agent_client.get(LIST, {"queue": "week"}).content.decode()
    assert scheduled.number not in html, "only scheduled, authorised or implementing changes"
    assert agent_client.get(LIST, {"cursor": "garbage"}).status_code == 200


def test_list_reads_are_flat(agent_client, make_change):
    def reads():
        with CaptureQueriesContext(connection) as ctx:
            assert agent_client.get(LIST, {"queue": "open"}).status_code == 200
        return len(ctx.captured_queries)

    for _i in range(3):
        make_change()
    few = reads()
    for _i in range(27):
        make_change()
    assert reads() == few


def test_awaiting_my_approval(client, make_change, agent, cab_rules, cab_members):
    ticket = make_change()
    services.change_transition(ticket=ticket, actor=agent, to=ChangeState.ASSESSMENT)
    services.change_transition(ticket=ticket, actor=agent, to=ChangeState.AUTHORIZATION)
    client.force_login(cab_members[0])
    html = client.get(LIST, {"queue": "approval"}).content.decode()
    assert ticket.number in html and reverse("desk:approvals") in html
    client.force_login(agent)
    assert ticket.number not in client.get(LIST, {"queue": "approval"}).content.decode()


def test_calendar_month_and_week(agent_client, make_change, service):
    start = timezone.now().replace(hour=10, minute=0) + timedelta(days=1)
    ticket = make_change(title="Swap disks", planned_start=start, planned_end=start + timedelta(hours=1),
                         service=service)
    FreezeWindow.objects.create(name="Audit freeze", starts_at=start - timedelta(hours=5),
                                ends_at=start + timedelta(hours=5))
    url = reverse("desk-changes:calendar")
    day = timezone.localtime(start).date().isoformat()
    for view in ("month", "week"):
        html = agent_client.get(url, {"view": view, "day": day}).content.decode()
        assert ticket.number in html and "Audit freeze" in html
    html = agent_client.get(url, {"day": day, "type": "emergency"}).content.decode()
    assert ticket.number not in html
    assert agent_client.get(url, {"day": "2026-02-30"}).status_code == 200


def test_calendar_subscription_is_shown_once(agent_client, agent):
    url = reverse("desk-changes:calendar")
    response = agent_client.post(reverse("desk-changes:calendar_subscribe"))
    assert response.status_code == 302
    assert CalendarFeedToken.objects.filter(user=agent).count() == 1
    html = agent_client.get(url).content.decode()
    assert "calendar.ics?token=" in html
    assert "calendar.ics?token=" not in agent_client.get(url).content.decode(), "shown once"


def test_cab_agenda(agent_client, make_change, agent, cab_rules, window, ci):
    ticket = make_change(title="Needs the CAB", planned_start=window[0], planned_end=window[1], cis=[ci])
    other = make_change(title="Same CI, same night", planned_start=window[0], planned_end=window[1], cis=[ci])
    services.change_transition(ticket=ticket, actor=agent, to=ChangeState.ASSESSMENT)
    services.change_transition(ticket=ticket, actor=agent, to=ChangeState.AUTHORIZATION)
    html = agent_client.get(reverse("desk-changes:cab")).content.decode()
    assert ticket.number in html and "Approval progress" in html and "0 of 1 approvals" in html
    assert other.number in html and "both touch mail-01" in html, "each conflict says why"


def test_metrics_for_change_managers_only(agent_client, manager_client, template, agent, manager,
                                          started_window, make_incident):
    url = reverse("desk-changes:metrics")
    agent_client.force_login(agent)
    assert agent_client.get(url).status_code == 403
    ticket = services.change_create(actor=agent, template=template, planned_start=started_window[0],
                                    planned_end=started_window[1])
    for to in (ChangeState.SCHEDULED, ChangeState.IMPLEMENTING):
        services.change_transition(ticket=ticket, actor=agent, to=to)
    services.change_transition(ticket=ticket, actor=agent, to=ChangeState.REVIEW,
                               outcome=ImplementationOutcome.SUCCESSFUL)
    services.change_link(ticket=ticket, actor=agent, other=make_incident(), relation=LinkRelation.CAUSED)
    manager_client.force_login(manager)
    response = manager_client.get(url, {"months": "12"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Success rate" in html and "100%" in html and "Service Desk" in html


def test_requesters_are_sent_to_the_portal(client, requester):
    client.force_login(requester)
    for name in ("list", "calendar", "cab", "metrics", "template_list"):
        assert client.get(reverse(f"desk-changes:{name}")).status_code == 302
