"""SLA API: who may read and write, field errors, clocks by ticket number, the compliance report."""

from datetime import timedelta

import pytest

from sla.models import Calendar, SlaDefinition

from .conftest import MONDAY_10

CALENDARS = "/api/v1/sla/calendars/"
DEFINITIONS = "/api/v1/sla/definitions/"
CLOCKS = "/api/v1/sla/clocks/"
REPORT = "/api/v1/sla/reports/compliance/"


@pytest.fixture
def incident(at, make_incident, service, agent):
    with at(MONDAY_10):
        ticket = make_incident(impact=2, urgency=2, service=service)
    return ticket


def test_agents_read_definitions_and_calendars(api, agent, django_assert_max_num_queries):
    client = api(agent)
    with django_assert_max_num_queries(13):
        body = client.get(DEFINITIONS).json()
    assert {d["name"] for d in body} >= {"Incident P1 - Critical", "Team handling (OLA)", "Vendor support (UC)"}
    p1 = next(d for d in body if d["name"] == "Incident P1 - Critical")
    assert {t["metric"]: t["seconds"] for t in p1["targets"]} == {"response": 900, "resolution": 14400}
    with django_assert_max_num_queries(5):
        calendars = client.get(CALENDARS).json()
    assert {c["name"] for c in calendars} == {"24x7", "Business hours"}


def test_query_count_does_not_grow_with_definitions(api, agent, slm, django_assert_max_num_queries):
    calendar = Calendar.objects.get(name="Business hours")
    for n in range(20):
        SlaDefinition.objects.create(name=f"Extra {n}", calendar=calendar, order=500 + n)
    with django_assert_max_num_queries(13):
        assert len(api(agent).get(DEFINITIONS).json()) >= 27


def test_requesters_and_anonymous_are_refused(api, requester):
    assert api(None).get(DEFINITIONS).status_code == 401
    assert api(requester).get(DEFINITIONS).status_code == 403
    assert api(requester).get(CALENDARS).status_code == 403
    assert api(requester).get(CLOCKS, {"ticket": "INC0000001"}).status_code == 403
    assert api(requester).get(REPORT).status_code == 403


def test_agents_cannot_write(api, agent):
    response = api(agent).post(CALENDARS, {"name": "Night", "hours": []}, format="json")
    assert response.status_code == 403


def test_manager_creates_calendar_and_definition(api, slm, django_capture_on_commit_callbacks):
    client = api(slm)
    response = client.post(CALENDARS, {
        "name": "Night desk", "time_zone": "Europe/London", "holiday_country": "GB", "holiday_subdivision": "ENG",
        "hours": [{"weekday": 0, "start": "22:00", "end": "06:00"}],
        "dates": [{"date": "2026-12-24", "kind": "closed"}]}, format="json")
    assert response.status_code == 201, response.json()
    calendar_id = response.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(DEFINITIONS, {
            "name": "VIP", "type": "sla", "order": 1, "calendar": calendar_id, "kinds": ["incident"],
            "priorities": [1, 2], "targets": [{"metric": "resolution", "seconds": 7200}],
            "pause_on": ["on_hold:awaiting_caller"], "warn_at": [80]}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["targets"] == [{"metric": "resolution", "seconds": 7200}]
    response = client.patch(f"{DEFINITIONS}{response.json()['id']}/", {"active": False}, format="json")
    assert response.status_code == 200 and response.json()["active"] is False


@pytest.mark.parametrize("body, field", [
    ({"name": "X", "hours": [{"weekday": 9, "start": "09:00", "end": "17:00"}]}, "hours"),
    ({"name": "X", "time_zone": "Mars/Olympus", "hours": []}, "time_zone"),
    ({"name": "X", "holiday_country": "ZZ", "hours": []}, "holiday_country"),
    ({"name": "24x7", "hours": []}, "name"),
])
def test_calendar_field_errors(api, slm, body, field):
    response = api(slm).post(CALENDARS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()


@pytest.mark.parametrize("body, field", [
    ({"targets": [{"metric": "resolution", "seconds": 0}]}, "targets"),
    ({"targets": [{"metric": "resolution", "seconds": 60}, {"metric": "resolution", "seconds": 90}]}, "targets"),
    ({"pause_on": ["On Hold!"], "targets": []}, "pause_on"),
    ({"warn_at": [150], "targets": []}, "warn_at"),
    ({"calendar": 999999, "targets": []}, "calendar"),
])
def test_definition_field_errors(api, slm, body, field):
    calendar = Calendar.objects.get(name="24x7")
    response = api(slm).post(DEFINITIONS, {"name": "Bad", "calendar": calendar.pk, **body}, format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()


def test_unknown_ids_are_404(api, agent):
    assert api(agent).get(f"{DEFINITIONS}999999/").status_code == 404
    assert api(agent).get(f"{CALENDARS}abc/").status_code == 404


def test_clocks_by_ticket_number(api, agent, incident, at):
    with at(MONDAY_10 + timedelta(hours=1)):
        body = api(agent).get(CLOCKS, {"ticket": incident.number.lower()}).json()
    sla = {c["metric"]: c for c in body if c["type"] == "sla"}
    assert sla["resolution"]["target_seconds"] == 24 * 3600
    assert sla["resolution"]["elapsed_seconds"] == 3600
    assert sla["resolution"]["remaining_seconds"] == 23 * 3600
    assert sla["response"]["due_at"].startswith("2026-03-02T14:00:00")
    assert api(agent).get(CLOCKS, {"ticket": "INC9999999"}).status_code == 404
    assert api(agent).get(CLOCKS, {"ticket": "x\x00"}).status_code == 400
    assert api(agent).get(CLOCKS).status_code == 400


def test_incident_detail_embeds_clocks(api, agent, incident):
    body = api(agent).get(f"/api/v1/incidents/{incident.number}/").json()
    assert {(c["type"], c["metric"]) for c in body["sla_clocks"]} >= {("sla", "response"), ("sla", "resolution")}


def test_compliance_report_json_and_csv(api, agent, incident, at):
    from incidents import services as incidents

    with at(MONDAY_10 + timedelta(hours=2)):
        incidents.incident_transition(ticket=incident, actor=agent, to="resolved",
                                      resolution_code="solved_permanently", resolution_notes="ok")
    client = api(agent)
    body = client.get(REPORT, {"start": "2026-03", "end": "2026-03", "group_by": "priority"}).json()
    rows = {(r["group"], r["metric"]): r for r in body["rows"]}
    resolution = rows[("P3", "resolution")]
    assert resolution["met"] == 1 and resolution["breached"] == 0 and resolution["percent_met"] == 100.0
    assert resolution["avg_seconds"] == 7200.0 and resolution["p90_seconds"] == 7200.0
    csv = client.get(REPORT, {"start": "2026-03", "end": "2026-03", "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode().splitlines()[0].startswith("month,group,metric,total,met,breached")
    assert client.get(REPORT, {"start": "2026-13"}).status_code == 400
    assert client.get(REPORT, {"start": "2026-05", "end": "2026-03"}).status_code == 400
    assert client.get(REPORT, {"start": "2020-01", "end": "2026-03"}).status_code == 400
    assert client.get(REPORT, {"group_by": "nonsense"}).status_code == 400
    # DRF itself answers an unknown ?format= with 404; this endpoint documents format as a choice.
    for junk in ("xml", "\x00", "𣥥<"):
        response = client.get(REPORT, {"format": junk})
        assert response.status_code == 400 and list(response.json()) == ["format"], response.content
