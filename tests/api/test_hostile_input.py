"""Bad input gets a clear 4xx and writes nothing: NUL bytes, huge numbers, forged cursors, wrong types."""

import base64
import json

import pytest

from servicedesk.models import Comment, Ticket

from .conftest import INCIDENTS, url

pytestmark = pytest.mark.django_db

HUGE = str(10**30)
LIST_PARAMS = ["q", "kind", "state", "priority", "active", "team_id", "assignee_id", "unassigned", "requester_id",
               "category_id", "service_id", "opened_after", "opened_before", "updated_after", "impact", "urgency",
               "channel", "major", "parent", "ordering", "cursor", "page_size", "brief"]
REFERENCE_LISTS = {
    "/api/v1/teams/": ["q", "active", "ordering", "cursor", "page_size"],
    "/api/v1/categories/": ["q", "parent_id", "top_level", "active", "ordering", "cursor", "page_size"],
    "/api/v1/services/": ["q", "support_team_id", "criticality", "ordering", "cursor", "page_size"],
    "/api/v1/users/": ["q", "team_id", "ordering", "cursor", "page_size"],
}
NASTY_VALUES = ["\x00", "a\x00b", HUGE, "-" + HUGE, "1e400", "NaN", "' OR 1=1 --", "x" * 5000, "2020-02-30T25:61:00",
                "[]", "{}", "서버\x00"]


def cursor(payload) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.fixture
def some_incidents(make_incident):
    return [make_incident(title=f"Row {i}") for i in range(3)]


@pytest.mark.parametrize("param", LIST_PARAMS)
def test_incident_list_never_500s(agent_api, some_incidents, param):
    for value in NASTY_VALUES:
        response = agent_api.get(INCIDENTS, {param: value})
        assert response.status_code in (200, 400), (param, value, response.status_code)


@pytest.mark.parametrize("path", REFERENCE_LISTS)
def test_reference_lists_never_500(agent_api, team, service, path):
    for param in REFERENCE_LISTS[path]:
        for value in NASTY_VALUES:
            response = agent_api.get(path, {param: value})
            assert response.status_code in (200, 400), (path, param, value, response.status_code)


@pytest.mark.parametrize(("param", "value"), [("q", "a\x00b"), ("team_id", HUGE), ("requester_id", HUGE),
                                              ("assignee_id", "abc"), ("opened_after", "yesterday"),
                                              ("state", "flying"), ("priority", "9"), ("parent", "x" * 40),
                                              ("opened_after", "2570-04-24T23:23:11.1688-17:34"),
                                              ("updated_after", "2020-01-01T00:00:00+23:59")])
def test_invalid_filters_are_field_errors(agent_api, param, value):
    response = agent_api.get(INCIDENTS, {param: value})
    assert response.status_code == 400
    assert param in response.data


@pytest.mark.parametrize("bad", [
    "garbage!!", "\x00", cursor([1, 2]), cursor({"o": "priority"}), cursor({"o": "priority", "v": [1]}),
    cursor({"o": "-opened_at", "v": [1, 2], "r": 0}),
    cursor({"o": "priority", "v": ["high", 1]}),
    cursor({"o": "priority", "v": [10**30, 1]}),
    cursor({"o": "priority", "v": [None, 1]}),
    cursor({"o": "-opened_at", "v": ["2020-01-01T00:00:00+20:00", 1], "r": 0}),
    cursor({"o": "priority", "v": [{"a": 1}, [1]]}),
    base64.urlsafe_b64encode(b'{"o": "priority", "v": [Infinity, 1]}').decode(),
    base64.urlsafe_b64encode(b'{"o": "priority", "v": [1e400, 1]}').decode(),
    cursor({"o": "-opened_at", "v": ["2020-02-30T00:00:00+00:00", 1]}),
    cursor({"o": "-opened_at", "v": ["not a date", 1]}),
    cursor({"o": "-opened_at", "v": ["9999-12-31T23:59:59-23:59", 1]}),
])
def test_malformed_cursor_is_400(agent_api, some_incidents, bad):
    response = agent_api.get(INCIDENTS, {"cursor": bad, "ordering": "-opened_at" if "opened" in bad else "priority"})
    assert response.status_code == 400, bad
    assert "cursor" in response.data


def test_cursor_with_nul_in_a_name_is_400(agent_api, team):
    bad = cursor({"o": "name", "v": ["Serv\x00ice", 1]})
    response = agent_api.get("/api/v1/teams/", {"cursor": bad})
    assert response.status_code == 400 and "cursor" in response.data


def test_cursor_from_another_ordering_is_400(agent_api, make_incident):
    for _ in range(3):
        make_incident()
    next_link = agent_api.get(INCIDENTS, {"page_size": 1}).data["next"]
    forged = next_link.split("cursor=")[1].split("&")[0]
    response = agent_api.get(INCIDENTS, {"cursor": forged, "ordering": "-updated_at"})
    assert response.status_code == 400


@pytest.mark.parametrize("payload", [
    {"title": "a\x00b"},
    {"title": "ok", "description": "a\x00b"},
    {"title": ["list"]},
    {"title": {"dict": 1}},
    {"title": "x" * 201},
    {"title": "ok", "impact": True},
    {"title": "ok", "impact": 10**30},
    {"title": "ok", "service": 10**30},
    {"title": "ok", "service": -1},
    {"title": "ok", "category": "1; DROP TABLE"},
    {"title": "ok", "team": 1.5},
    {"title": "ok", "cis": "1,2"},
    {"title": "ok", "cis": [10**30]},
    {"title": "ok", "cis": list(range(1, 200))},
    {"title": "ok", "requester": 10**30},
])
def test_create_with_bad_body_is_400_and_writes_nothing(agent_api, team, payload):
    response = agent_api.post(INCIDENTS, payload, format="json")
    assert response.status_code == 400, response.data
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("raw", ['{"title": "x", "team": 1e400}', '{"title": "x", "impact": NaN}', '{"title": ',
                                 '[]', '"just a string"', "\x00", '{"title": "x", "cis": [1e400]}'])
def test_malformed_json_is_400(agent_api, raw):
    response = agent_api.post(INCIDENTS, raw, content_type="application/json")
    assert response.status_code == 400
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(("action", "payload"), [
    ("", {"team": 10**30}),
    ("", {"assignee": "\x00"}),
    ("transition", {"to": "resolved\x00"}),
    ("transition", {"to": "resolved", "resolution_code": "solved_permanently", "resolution_notes": "a\x00"}),
    ("assign", {"team": 1e308}),
    ("assign", {"to_me": "\x00"}),
    ("escalate", {"level": "functional", "reason": "x", "team": -5}),
    ("major", {"major": 10**30}),
    ("parent", {"parent": "INC\x00"}),
    ("parent", {"parent": 12}),
    ("merge", {"into": ["INC0000001"]}),
    ("comments", {"body": {"nested": True}}),
    ("time-entries", {"minutes": 10**30, "note": "x"}),
    ("cis", {"cis": [None]}),
])
def test_actions_with_bad_body_are_400_and_write_nothing(agent_api, incident, action, payload):
    before = Ticket.objects.get(pk=incident.pk)
    method = agent_api.patch if action == "" else agent_api.post
    response = method(url(incident.number, action), payload, format="json")
    assert response.status_code == 400, response.data
    after = Ticket.objects.get(pk=incident.pk)
    assert (after.version, after.state, after.team_id) == (before.version, before.state, before.team_id)
    assert not Comment.objects.exists()


@pytest.mark.parametrize("if_match", ["abc", '"unterminated', "\x00", "W/", '"1" "2"', '*, "1"', ","])
def test_if_match_that_is_not_entity_tags_is_400(agent_api, incident, if_match):
    response = agent_api.post(url(incident.number, "transition"), {"to": "in_progress"}, format="json",
                              HTTP_IF_MATCH=if_match)
    assert response.status_code == 400
    assert Ticket.objects.get(pk=incident.pk).state == "new"


def test_weak_and_wildcard_if_match_are_understood(agent_api, incident):
    # If-Match compares strongly (RFC 9110): a weak tag never matches.
    response = agent_api.post(url(incident.number, "transition"), {"to": "in_progress"}, format="json",
                              HTTP_IF_MATCH=f'W/"{incident.version}"')
    assert response.status_code == 412
    response = agent_api.post(url(incident.number, "transition"), {"to": "in_progress"}, format="json",
                              HTTP_IF_MATCH="*")
    assert response.status_code == 200


@pytest.mark.parametrize("number", ["INC%00", "%00", "INC0000001%00", "..%2F..%2Fetc", "INC" + "9" * 40, "%EC%84%9C"])
def test_hostile_numbers_in_the_path_are_404(agent_api, incident, number):
    assert agent_api.get(f"{INCIDENTS}{number}/").status_code == 404
    assert agent_api.post(f"{INCIDENTS}{number}/transition/", {"to": "cancelled"}, format="json").status_code == 404


@pytest.mark.parametrize("path", ["/api/v1/users/", "/api/v1/teams/", "/api/v1/categories/", "/api/v1/services/"])
def test_huge_ids_in_reference_paths_are_404(agent_api, path):
    assert agent_api.get(f"{path}{10**30}/").status_code == 404
