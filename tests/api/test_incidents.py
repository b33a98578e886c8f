"""Incident endpoints: create, list (filters, search, brief, pagination), retrieve, partial update."""

import pytest
from django.utils import timezone

from incidents.choices import IncidentState as S
from servicedesk.choices import EventKind
from servicedesk.models import Ticket, TimelineEntry

from .conftest import INCIDENTS, url

pytestmark = pytest.mark.django_db


# --- Create ---------------------------------------------------------------------------------


def test_requester_opens_incident_for_themselves(requester_api, requester, service, team):
    response = requester_api.post(INCIDENTS, {"title": "VPN drops", "description": "Every hour", "impact": 2,
                                              "urgency": 1, "service": service.pk}, format="json")
    assert response.status_code == 201, response.data
    body = response.data
    assert body["number"] == "INC0000001"
    assert body["state"] == S.NEW and body["priority"] == 2
    assert body["requester"]["id"] == requester.pk
    assert body["channel"] == "api"
    assert body["team"] == {"id": team.pk, "name": team.name}, "routed to the service's support team"
    assert response["ETag"] == '"1"' and body["version"] == 1
    assert response["Location"].endswith("/api/v1/incidents/INC0000001/")
    assert {t["to"] for t in body["allowed_transitions"]} == {S.CANCELLED}


def test_create_defaults_and_required_title(requester_api):
    response = requester_api.post(INCIDENTS, {"title": "Printer jam"}, format="json")
    assert response.status_code == 201
    assert (response.data["impact"], response.data["urgency"]) == (3, 2)
    response = requester_api.post(INCIDENTS, {"description": "no title"}, format="json")
    assert response.status_code == 400 and "title" in response.data


def test_agent_opens_on_behalf_of_caller(agent_api, agent, requester, team, ci):
    response = agent_api.post(INCIDENTS, {"title": "Caller: screen black", "requester": requester.pk,
                                          "channel": "phone", "team": team.pk, "assignee": agent.pk,
                                          "cis": [ci.pk]}, format="json")
    assert response.status_code == 201, response.data
    body = response.data
    assert body["requester"]["id"] == requester.pk and body["channel"] == "phone"
    assert body["assignee"]["id"] == agent.pk
    assert body["cis"] == [{"id": ci.pk, "name": ci.name}]


@pytest.mark.parametrize("extra", ["requester", "channel", "team", "assignee", "cis"])
def test_requester_may_not_set_desk_fields(requester_api, other_requester, agent, team, ci, extra):
    values = {"requester": other_requester.pk, "channel": "phone", "team": team.pk, "assignee": agent.pk,
              "cis": [ci.pk]}
    payload = {"title": "x", extra: values[extra]}
    if extra == "assignee":
        payload["team"] = team.pk
    response = requester_api.post(INCIDENTS, payload, format="json")
    assert response.status_code == 403, response.data
    assert response.data["code"] == "permission_denied"
    assert not Ticket.objects.exists()


def test_create_field_errors(agent_api, agent, other_team, ci):
    response = agent_api.post(INCIDENTS, {"title": "x", "impact": 7, "urgency": "high", "service": ci.pk},
                              format="json")
    assert response.status_code == 400
    assert {"impact", "urgency"} <= set(response.data)
    response = agent_api.post(INCIDENTS, {"title": "x", "service": ci.pk}, format="json")
    assert response.status_code == 400 and "service" in response.data, "a plain CI is not a business service"
    response = agent_api.post(INCIDENTS, {"title": "x", "team": other_team.pk, "assignee": agent.pk}, format="json")
    assert response.status_code == 400 and "assignee" in response.data, "the assignee must be in the team"
    response = agent_api.post(INCIDENTS, {"title": "x", "cis": [ci.pk, 999999]}, format="json")
    assert response.status_code == 400 and "999999" in str(response.data["cis"])
    assert not Ticket.objects.exists()


# --- Retrieve -------------------------------------------------------------------------------


def test_retrieve_by_number_with_etag_and_details(agent_api, incident, make_incident, agent):
    child = make_incident(title="Same here")
    agent_api.post(url(child.number, "parent"), {"parent": incident.number}, format="json")
    response = agent_api.get(url(incident.number.lower()))
    assert response.status_code == 200
    body = response.data
    assert body["number"] == incident.number and body["description"] == "Since 9am"
    assert response["ETag"] == f'"{body["version"]}"'
    assert body["children"] == [child.number] and body["parent"] is None
    assert {t["to"] for t in body["allowed_transitions"]} == {S.IN_PROGRESS, S.ON_HOLD, S.RESOLVED, S.CANCELLED}
    resolve = next(t for t in body["allowed_transitions"] if t["to"] == S.RESOLVED)
    assert resolve["requires"] == ["resolution_code", "resolution_notes"]
    assert agent_api.get(url(child.number)).data["parent"] == incident.number


def test_retrieve_unknown_and_malformed_numbers_are_404(agent_api):
    for number in ["INC9999999", "nonsense", "INC%00", "X" * 300]:
        response = agent_api.get(url(number))
        assert response.status_code == 404, number
        assert response.json()["code"] == "not_found"


# --- Update ---------------------------------------------------------------------------------


def test_patch_fields_rederives_priority_and_returns_new_etag(agent_api, incident):
    response = agent_api.patch(url(incident.number), {"title": "Mail down for all", "impact": 1, "urgency": 1},
                               format="json", HTTP_IF_MATCH=f'"{incident.version}"')
    assert response.status_code == 200, response.data
    assert response.data["title"] == "Mail down for all" and response.data["priority"] == 1
    assert response["ETag"] == f'"{response.data["version"]}"' and response.data["version"] > incident.version
    assert TimelineEntry.objects.filter(ticket=incident, kind=EventKind.FIELDS).exists()


def test_patch_team_and_assignee_go_through_assignment(agent_api, incident, agent, other_team, other_agent):
    response = agent_api.patch(url(incident.number), {"assignee": agent.pk}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["assignee"]["id"] == agent.pk
    response = agent_api.patch(url(incident.number), {"team": other_team.pk, "urgency": 1}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["team"]["id"] == other_team.pk
    assert response.data["assignee"] is None, "a new team starts without an assignee"
    assert response.data["urgency"] == 1
    response = agent_api.patch(url(incident.number), {"assignee": other_agent.pk, "title": "New title"},
                               format="json")
    assert response.data["assignee"]["id"] == other_agent.pk and response.data["title"] == "New title"


def test_patch_is_all_or_nothing(agent_api, incident, agent, other_team):
    before = Ticket.objects.get(pk=incident.pk)
    response = agent_api.patch(url(incident.number), {"title": "Changed", "team": other_team.pk,
                                                      "assignee": agent.pk}, format="json")
    assert response.status_code == 400 and "assignee" in response.data
    after = Ticket.objects.get(pk=incident.pk)
    assert (after.title, after.version, after.team_id) == (before.title, before.version, before.team_id)


def test_patch_with_stale_if_match_is_412_and_writes_nothing(agent_api, incident):
    current = agent_api.get(url(incident.number))["ETag"]
    agent_api.patch(url(incident.number), {"title": "First"}, format="json", HTTP_IF_MATCH=current)
    response = agent_api.patch(url(incident.number), {"title": "Second"}, format="json", HTTP_IF_MATCH=current)
    assert response.status_code == 412
    assert response.data["code"] == "stale_version"
    assert response.data["current_version"] == int(current.strip('"')) + 1
    assert Ticket.objects.get(pk=incident.pk).title == "First"
    fresh = agent_api.get(url(incident.number))["ETag"]
    response = agent_api.patch(url(incident.number), {"title": "Second"}, format="json", HTTP_IF_MATCH=fresh)
    assert response.status_code == 200 and response.data["title"] == "Second"


def test_patch_with_stale_if_match_on_assignment_only(agent_api, incident, agent):
    response = agent_api.patch(url(incident.number), {"assignee": agent.pk}, format="json", HTTP_IF_MATCH='"99"')
    assert response.status_code == 412


def test_malformed_if_match_is_400(agent_api, incident):
    response = agent_api.patch(url(incident.number), {"title": "x"}, format="json", HTTP_IF_MATCH="abc")
    assert response.status_code == 400 and "If-Match" in response.data


def test_requester_cannot_patch(requester_api, incident):
    response = requester_api.patch(url(incident.number), {"title": "Mine"}, format="json")
    assert response.status_code == 403
    assert Ticket.objects.get(pk=incident.pk).title == "Mail is down"


def test_patch_closed_incident_is_409(agent_api, incident):
    Ticket.objects.filter(pk=incident.pk).update(state=S.CLOSED, active=False)
    response = agent_api.patch(url(incident.number), {"title": "late"}, format="json")
    assert response.status_code == 409 and response.data["code"] == "not_active"


def test_no_put_or_delete(agent_api, incident):
    assert agent_api.put(url(incident.number), {"title": "x"}, format="json").status_code == 405
    assert agent_api.delete(url(incident.number)).status_code == 405


# --- List -----------------------------------------------------------------------------------


def test_list_rows_equal_the_documented_serializers_field_for_field(agent_api, make_incident, team, agent,
                                                                    service, rf):
    """The list builds rows directly for speed; they must be exactly what the schema's serializers give."""
    from incidents.api.serializers import IncidentBriefSerializer, IncidentSerializer
    from incidents.queries import incident_detail_queryset
    from servicedesk.models import Category

    category = Category.objects.create(name="Network", parent=Category.objects.create(name="IT"))
    full = make_incident(title="Full one", category=category, service=service)
    agent_api.post(url(full.number, "assign"), {"team": team.pk, "assignee": agent.pk}, format="json")
    make_incident(title="Bare one")  # no team, assignee, category or service: nulls
    # Names as people have them: Korean (family name first, no space), mixed, and none (the username).
    from accounts.factories import UserFactory

    for first, last, username in (("민지", "김", "minji.kim"), ("Minji", "김", "minji2"), ("", "", "nameless")):
        make_incident(title=f"Called by {username}",
                      requester=UserFactory(username=username, first_name=first, last_name=last))
    request = rf.get("/api/v1/incidents/", HTTP_HOST="testserver")
    for params, serializer_class in (({}, IncidentSerializer), ({"brief": "1"}, IncidentBriefSerializer)):
        rows = agent_api.get(INCIDENTS, params).data["results"]
        tickets = {t.number: t for t in incident_detail_queryset(agent)}
        expected = [dict(serializer_class(tickets[r["number"]], context={"request": request}).data) for r in rows]
        assert [dict(r) for r in rows] == expected
    assert rows and any(r["number"] == full.number for r in rows)


def test_list_rows_filters_and_ordering(agent_api, make_incident, team, agent):
    low = make_incident(title="Low one", impact=3, urgency=3)
    high = make_incident(title="High one", impact=1, urgency=1)
    agent_api.post(url(high.number, "assign"), {"team": team.pk, "assignee": agent.pk}, format="json")
    rows = agent_api.get(INCIDENTS).data["results"]
    assert [r["number"] for r in rows] == [high.number, low.number], "default ordering: priority"
    assert "description" not in rows[0] and "allowed_transitions" not in rows[0], "detail-only fields"
    assert rows[0]["assignee"]["id"] == agent.pk
    newest = agent_api.get(INCIDENTS, {"ordering": "-opened_at"}).data["results"]
    assert [r["number"] for r in newest] == [high.number, low.number]
    oldest = agent_api.get(INCIDENTS, {"ordering": "opened_at"}).data["results"]
    assert [r["number"] for r in oldest] == [low.number, high.number]
    assert [r["number"] for r in agent_api.get(INCIDENTS, {"priority": 5}).data["results"]] == [low.number]
    assert [r["number"] for r in agent_api.get(INCIDENTS, {"assignee_id": agent.pk}).data["results"]] == [high.number]
    assert [r["number"] for r in agent_api.get(INCIDENTS, {"unassigned": "true"}).data["results"]] == [low.number]
    assert [r["number"] for r in agent_api.get(INCIDENTS, {"state": ["new", "on_hold"]}).data["results"]] == [
        high.number, low.number]
    assert agent_api.get(INCIDENTS, {"state": "resolved"}).data["results"] == []


def test_unknown_ordering_falls_back_to_default(agent_api, make_incident):
    make_incident()
    response = agent_api.get(INCIDENTS, {"ordering": "title; DROP TABLE"})
    assert response.status_code == 200 and len(response.data["results"]) == 1


def test_brief_representation(agent_api, make_incident):
    ticket = make_incident()
    rows = agent_api.get(INCIDENTS, {"brief": "1"}).data["results"]
    assert set(rows[0]) == {"number", "title", "state", "priority", "url"}
    assert rows[0]["url"].endswith(f"/api/v1/incidents/{ticket.number}/")


def test_search_finds_korean_two_syllable_words_and_numbers(agent_api, make_incident):
    korean = make_incident(title="메일서버 장애", description="오전부터 접속 불가")
    english = make_incident(title="Printer offline", description="Third floor")
    assert [r["number"] for r in agent_api.get(INCIDENTS, {"q": "서버"}).data["results"]] == [korean.number]
    assert [r["number"] for r in agent_api.get(INCIDENTS, {"q": "장애"}).data["results"]] == [korean.number]
    assert [r["number"] for r in agent_api.get(INCIDENTS, {"q": "printer"}).data["results"]] == [english.number]
    assert [r["number"] for r in agent_api.get(INCIDENTS, {"q": english.number}).data["results"]] == [english.number]
    assert agent_api.get(INCIDENTS, {"q": "없는단어"}).data["results"] == []


@pytest.mark.parametrize("ordering", ["priority", "-opened_at", "opened_at", "-updated_at"])
def test_pagination_walks_every_row_once_both_ways(agent_api, make_incident, ordering):
    for i in range(23):
        make_incident(title=f"Row {i}", impact=1 + i % 3, urgency=1 + (i // 3) % 3)
    expected = [r["number"] for r in agent_api.get(INCIDENTS, {"ordering": ordering, "page_size": 500}).data["results"]]
    assert len(expected) == 23

    pages, link = [], f"{INCIDENTS}?ordering={ordering}&page_size=5"
    while link:
        body = agent_api.get(link).data
        pages.append([r["number"] for r in body["results"]])
        link = body["next"]
    assert [n for page in pages for n in page] == expected, "no duplicates, no gaps"
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]

    backwards, link = [], body["previous"]
    while link:
        body = agent_api.get(link).data
        backwards.insert(0, [r["number"] for r in body["results"]])
        link = body["previous"]
    assert [n for page in backwards for n in page] == expected[:20]


def test_page_size_is_bounded(agent_api, make_incident):
    for _ in range(3):
        make_incident()
    assert len(agent_api.get(INCIDENTS, {"page_size": 2}).data["results"]) == 2
    assert len(agent_api.get(INCIDENTS, {"page_size": 10**40}).data["results"]) == 3
    assert len(agent_api.get(INCIDENTS, {"page_size": -5}).data["results"]) == 1


@pytest.mark.parametrize("brief", ["", "1"])
@pytest.mark.parametrize("ordering", ["priority", "-opened_at", "opened_at", "-updated_at", "sla_due"])
def test_every_ordering_pages_forward_and_back_in_both_row_forms(agent_api, make_incident, ordering, brief):
    tickets = [make_incident(title=f"Incident {i}") for i in range(5)]
    Ticket.objects.filter(pk__in=[t.pk for t in tickets[:4]]).update(sla_due_at=timezone.now())
    first = agent_api.get(INCIDENTS, {"ordering": ordering, "brief": brief, "page_size": 2})
    assert first.status_code == 200, first.data
    second = agent_api.get(first.data["next"])
    assert second.status_code == 200 and second.data["results"]
    back = agent_api.get(second.data["previous"])
    assert [r["number"] for r in back.data["results"]] == [r["number"] for r in first.data["results"]]
    if ordering == "sla_due":  # only tickets with a running clock have a due time to sort by
        numbers = {r["number"] for page in (first, second) for r in page.data["results"]}
        assert tickets[4].number not in numbers
