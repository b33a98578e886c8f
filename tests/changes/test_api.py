"""The change API: endpoints, errors (400/403/404/409/412), permissions, query counts, calendar JSON and iCalendar."""

from datetime import timedelta

import pytest
from django.utils import timezone

from changes import services
from changes.choices import ChangeState as S
from changes.models import CalendarFeedToken, FreezeWindow, RiskQuestion
from tests.changes.conftest import CHANGES, url

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_api(api, agent, team):
    return api(agent)


@pytest.fixture
def manager_api(api, manager):
    return api(manager)


def iso(value):
    return value.isoformat().replace("+00:00", "Z")


def test_create_read_and_list(agent_api, ci, window, manager, service):
    response = agent_api.post(CHANGES, {
        "title": "Upgrade mail", "implementation_plan": "Upgrade", "backout_plan": "Restore", "cis": [ci.pk],
        "planned_start": iso(window[0]), "planned_end": iso(window[1]), "change_manager": manager.pk,
        "service": service.pk,
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["number"].startswith("CHG") and body["state"] == "new" and body["change_type"] == "normal"
    assert body["cis"] == [{"id": ci.pk, "name": "mail-01"}]
    assert response["ETag"] == f'"{body["version"]}"'
    assert {a["target"] for a in body["actions"]} == {"assessment", "cancelled"}
    assert body["risk"]["reasons"][0]["text"]
    detail = agent_api.get(url(body["number"]))
    assert detail.status_code == 200 and detail.json() == body
    rows = agent_api.get(CHANGES).json()["results"]
    assert [r["number"] for r in rows] == [body["number"]]
    assert rows[0]["change_manager"]["id"] == manager.pk and rows[0]["service"]["name"] == service.name


def test_list_rows_match_the_documented_serializer(agent_api, make_change):
    from changes.api.serializers import ChangeListItemSerializer

    make_change()
    row = agent_api.get(CHANGES).json()["results"][0]
    assert set(row) == set(ChangeListItemSerializer().fields)


def test_list_filters(agent_api, make_change, template, agent, make_incident):
    make_change(title="Normal one")
    incident = make_incident()
    from_incident = services.change_from_incident(actor=agent, incident=incident)
    services.change_create(actor=agent, template=template)
    assert [r["title"] for r in agent_api.get(CHANGES, {"change_type": "standard"}).json()["results"]] == [
        "Monthly OS patches"]
    assert [r["number"] for r in agent_api.get(CHANGES, {"incident": incident.number}).json()["results"]] == [
        from_incident.number]
    assert agent_api.get(CHANGES, {"change_type": "nope"}).status_code == 400
    assert agent_api.get(CHANGES, {"ordering": "planned_start"}).status_code == 200


def test_list_query_count_is_flat(agent_api, make_change, django_assert_max_num_queries, other_agent, team):
    for _ in range(3):
        make_change()
    with django_assert_max_num_queries(6) as few:
        assert len(agent_api.get(CHANGES).json()["results"]) == 3
    team.members.add(other_agent)
    for i in range(27):
        make_change(assignee=other_agent if i % 2 else None, team=team)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(agent_api.get(CHANGES).json()["results"]) == 30


def test_detail_query_count_is_flat(agent_api, make_change, django_assert_max_num_queries):
    from cmdb.factories import CIFactory

    few = make_change(cis=[CIFactory() for _ in range(3)])
    many = make_change(cis=[CIFactory() for _ in range(30)])
    agent_api.get(url(few.number))
    agent_api.get(url(many.number))  # warm the services-at-risk cache as a page view would
    with django_assert_max_num_queries(12) as counted:
        agent_api.get(url(few.number))
    with django_assert_max_num_queries(len(counted.captured_queries)):
        assert len(agent_api.get(url(many.number)).json()["cis"]) == 30


def test_create_from_a_template_and_from_an_incident(agent_api, template, make_incident, service):
    body = agent_api.post(CHANGES, {"template": template.pk}, format="json").json()
    assert body["change_type"] == "standard" and body["template"]["name"] == template.name
    incident = make_incident(service=service)
    response = agent_api.post(CHANGES, {"from_incident": incident.number.lower()}, format="json")
    assert response.status_code == 201
    assert response.json()["links"][0]["number"] == incident.number
    assert agent_api.post(CHANGES, {"from_incident": "INC9999999"}, format="json").status_code == 400


def test_bad_input_is_a_field_error(agent_api, window):
    response = agent_api.post(CHANGES, {"title": "x", "planned_start": iso(window[1]), "planned_end": iso(window[0])},
                              format="json")
    assert response.status_code == 400 and "planned_end" in response.json()
    assert agent_api.post(CHANGES, {"cis": [99999999]}, format="json").status_code == 400
    assert agent_api.post(CHANGES, {"change_type": "standard", "title": "x"}, format="json").status_code == 400


def test_patch_with_if_match_and_a_stale_version(agent_api, make_change, ci):
    ticket = make_change()
    etag = agent_api.get(url(ticket.number))["ETag"]
    response = agent_api.patch(url(ticket.number), {"justification": "Security advisory", "cis": [ci.pk]},
                               format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200 and response.json()["justification"] == "Security advisory"
    stale = agent_api.patch(url(ticket.number), {"title": "Again"}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412


def test_transition_guards_answer_409_with_what_is_missing(agent_api, agent, template):
    ticket = services.change_create(actor=agent, template=template)
    response = agent_api.post(url(ticket.number, "transition"), {"to": "scheduled"}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "guard_failed" and response.json()["missing"] == ["planned_window"]
    response = agent_api.post(url(ticket.number, "transition"), {"to": "closed"}, format="json")
    assert response.status_code == 409 and "allowed" in response.json()
    assert agent_api.post(url(ticket.number, "transition"), {"to": "bogus"}, format="json").status_code == 400


def test_override_needs_a_change_manager(agent_api, manager_api, agent, template, window):
    ticket = services.change_create(actor=agent, template=template, planned_start=window[0])
    ticket = services.change_transition(ticket=ticket, actor=agent, to=S.SCHEDULED)
    body = {"to": "implementing", "override_reason": "Outage, fix now"}
    assert agent_api.post(url(ticket.number, "transition"), body, format="json").status_code == 403
    response = manager_api.post(url(ticket.number, "transition"), body, format="json")
    assert response.status_code == 200 and response.json()["state"] == "implementing"


def test_cab_vote_through_the_api(api, agent_api, agent, make_change, cab_rules, cab_members, window):
    ticket = make_change(planned_start=window[0], planned_end=window[1])
    for target in ("assessment", "authorization"):
        assert agent_api.post(url(ticket.number, "transition"), {"to": target}, format="json").status_code == 200
    overview = api(cab_members[0]).get(url(ticket.number, "approvals")).json()
    assert overview["can_vote"] is True
    assert agent_api.post(url(ticket.number, "approvals"), {"decision": "approve"},
                          format="json").status_code == 403  # the requester
    response = api(cab_members[0]).post(url(ticket.number, "approvals"), {"decision": "approve"}, format="json")
    assert response.status_code == 201 and response.json()["context"]["risk"]["level"]
    assert agent_api.get(url(ticket.number)).json()["state"] == "scheduled"
    assert api(cab_members[1]).post(url(ticket.number, "approvals"), {"decision": "approve"},
                                    format="json").status_code == 409


def test_risk_read_and_answer(agent_api, make_change):
    ticket = make_change()
    risk = agent_api.get(url(ticket.number, "risk")).json()
    assert len(risk["questions"]) == RiskQuestion.objects.filter(active=True).count()
    answers = {str(q["id"]): not q["risky_answer"] for q in risk["questions"]}
    response = agent_api.put(url(ticket.number, "risk"), {"answers": answers}, format="json")
    assert response.status_code == 200 and response.json()["score"] == 0
    assert agent_api.put(url(ticket.number, "risk"), {"answers": {"x": True}}, format="json").status_code == 400


def test_conflicts_and_links(agent_api, make_change, make_incident, ci, window):
    first = make_change(cis=[ci], planned_start=window[0], planned_end=window[1])
    second = make_change(cis=[ci], planned_start=window[0], planned_end=window[1])
    conflicts = agent_api.get(url(second.number, "conflicts")).json()
    assert [(c["kind"], c["facts"]["number"]) for c in conflicts] == [("change", first.number)]
    incident = make_incident()
    response = agent_api.post(url(second.number, "links"), {"number": incident.number, "relation": "caused"},
                              format="json")
    assert response.status_code == 201 and response.json()[0]["relation"] == "caused"


def test_unknown_numbers_are_404_and_requesters_are_refused(agent_api, api, requester, make_change):
    assert agent_api.get(url("CHG9999999")).status_code == 404
    assert agent_api.get(url("not-a-number")).status_code == 404
    ticket = make_change()
    assert api(requester).get(url(ticket.number)).status_code == 403
    assert api(requester).get(CHANGES).status_code == 403
    assert api(None).get(CHANGES).status_code in (401, 403)


def test_templates_freeze_windows_and_cabs_are_for_change_managers(agent_api, manager_api, cab, window, service):
    template = {"name": "Rotate certificates", "title": "Rotate TLS certificates", "implementation_plan": "Rotate",
                "backout_plan": "Restore the old ones", "duration_minutes": 30}
    assert agent_api.post(f"{CHANGES}templates/", template, format="json").status_code == 403
    created = manager_api.post(f"{CHANGES}templates/", template, format="json")
    assert created.status_code == 201
    pk = created.json()["id"]
    assert agent_api.get(f"{CHANGES}templates/").json()["results"][0]["name"] == "Rotate certificates"
    stale = manager_api.patch(f"{CHANGES}templates/{pk}/", {"title": "x"}, format="json", HTTP_IF_MATCH='"9"')
    assert stale.status_code == 412
    assert manager_api.post(f"{CHANGES}templates/{pk}/withdraw/").json()["active"] is False
    assert agent_api.get(f"{CHANGES}templates/", {"active": "true"}).json()["results"] == []

    freeze = {"name": "Year end", "starts_at": iso(window[0]), "ends_at": iso(window[1]), "service": service.pk}
    assert agent_api.post(f"{CHANGES}freeze-windows/", freeze, format="json").status_code == 403
    assert manager_api.post(f"{CHANGES}freeze-windows/", freeze, format="json").status_code == 201
    bad = manager_api.post(f"{CHANGES}freeze-windows/", {**freeze, "ends_at": iso(window[0] - timedelta(hours=1))},
                           format="json")
    assert bad.status_code == 400

    rule = {"change_type": "normal", "group": cab.pk, "policy": "quorum", "threshold": 2}
    assert agent_api.post(f"{CHANGES}cabs/rules/", rule, format="json").status_code == 403
    assert manager_api.post(f"{CHANGES}cabs/rules/", rule, format="json").status_code == 201
    assert manager_api.post(f"{CHANGES}cabs/rules/", {**rule, "threshold": None}, format="json").status_code == 400
    cabs = agent_api.get(f"{CHANGES}cabs/").json()
    assert cabs["groups"][0]["name"] == "CAB" and cabs["rules"][0]["policy"] == "quorum"
    group = manager_api.post(f"{CHANGES}cabs/groups/", {"name": "Network CAB", "members": []}, format="json")
    assert group.status_code == 201


def test_calendar_json_and_ics_with_a_feed_token(agent_api, api, make_change, window, agent):
    ticket = make_change(planned_start=window[0], planned_end=window[1])
    FreezeWindow.objects.create(name="Release freeze", starts_at=window[0], ends_at=window[1])
    calendar = agent_api.get(f"{CHANGES}calendar/").json()
    assert [c["number"] for c in calendar["changes"]] == [ticket.number]
    assert calendar["freeze_windows"][0]["name"] == "Release freeze" and calendar["time_zone"]
    assert agent_api.get(f"{CHANGES}calendar/", {"start": "yesterday"}).status_code == 400

    created = agent_api.post(f"{CHANGES}calendar/tokens/").json()
    row = CalendarFeedToken.objects.get(pk=created["id"])
    assert row.digest != created["token"] and len(row.digest) == 64
    feed = api(None).get(f"{CHANGES}calendar.ics", {"token": created["token"]})
    assert feed.status_code == 200 and feed["Content-Type"].startswith("text/calendar")
    text = feed.content.decode()
    assert "BEGIN:VCALENDAR" in text and ticket.number in text and "Release freeze" in text
    assert api(None).get(f"{CHANGES}calendar.ics", {"token": "wrong"}).status_code == 403
    assert agent_api.get(f"{CHANGES}calendar/tokens/").json()[0]["id"] == row.pk
    assert agent_api.delete(f"{CHANGES}calendar/tokens/{row.pk}/").status_code == 204
    assert api(None).get(f"{CHANGES}calendar.ics", {"token": created["token"]}).status_code == 403


def test_agenda_and_metrics(agent_api, agent, make_change, cab_rules, template, started_window):
    ticket = make_change()
    services.change_transition(ticket=ticket, actor=agent, to=S.ASSESSMENT)
    services.change_transition(ticket=ticket, actor=agent, to=S.AUTHORIZATION)
    agenda = agent_api.get(f"{CHANGES}cab-agenda/").json()
    assert [a["number"] for a in agenda] == [ticket.number] and agenda[0]["risk"]["level"]
    done = services.change_create(actor=agent, template=template, planned_start=started_window[0])
    for target, extra in ((S.SCHEDULED, {}), (S.IMPLEMENTING, {}), (S.REVIEW, {"outcome": "successful"})):
        done = services.change_transition(ticket=done, actor=agent, to=target, **extra)
    metrics = agent_api.get(f"{CHANGES}metrics/", {"end": iso(timezone.now() + timedelta(days=1))}).json()
    row = metrics["rows"][0]
    assert row["opened"] == 2 and row["implemented"] == 1 and row["success_rate"] == 1.0
    assert row["emergency_share"] == 0.0 and row["mean_lead_time_hours"] is not None


def test_times_beyond_the_offsets_postgresql_takes_are_a_400(agent_api):
    for path in ("cab-agenda/?until=2030-08-05T23:19:21+23:16", "calendar/?start=2030-01-01T00:00:00-15:00",
                 "metrics/?end=2030-01-01T00:00:00+14:30"):
        assert agent_api.get(f"{CHANGES}{path}".replace("+", "%2B")).status_code == 400


def test_scheduling_through_the_api_sets_the_window_with_the_move(agent, template):
    from datetime import timedelta

    from django.utils import timezone

    from changes import services as change_services
    from tests.conftest import api_client_for

    ticket = change_services.change_create(actor=agent, template=template)
    start = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    client = api_client_for(agent)
    body = {"to": "scheduled", "planned_start": start.isoformat(), "planned_end": (start + timedelta(hours=1)).isoformat()}
    response = client.post(f"/api/v1/changes/{ticket.number}/transition/", body, format="json")
    assert response.status_code == 200, response.content
    ticket.change.refresh_from_db()
    assert ticket.change.planned_start == start and response.json()["state"] == "scheduled"
