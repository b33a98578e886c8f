"""Results, CSAT and policies for managers (API and console), with their permissions and query counts."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts import roles
from accounts.factories import UserFactory
from surveys.models import FollowUpState, Survey, SurveyPolicy

RESULTS = "/api/v1/surveys/"


@pytest.fixture
def answered(make_incident, team, agent, other_team, other_agent, service):
    """``answered(n, score=…, at=…)``: n answered surveys, alternating between two teams and agents."""

    def make(n, *, score=4, at=None, low_open=False):
        at = at or timezone.now() - timedelta(hours=1)
        rows = []
        for i in range(n):
            ticket = make_incident()
            team_, agent_ = (team, agent) if i % 2 == 0 else (other_team, other_agent)
            rows.append(Survey(ticket=ticket, kind="incident", requester=ticket.requester, team=team_, agent=agent_,
                               service=service, resolved_at=at - timedelta(days=1), invited_at=at - timedelta(hours=20),
                               expires_at=at + timedelta(days=13), score=score, answered_at=at,
                               comment=f"comment {i}", followup_state=FollowUpState.OPEN if low_open else ""))
        return Survey.objects.bulk_create(rows)

    return make


def test_results_need_view_satisfaction(api, answered, lead, agent, requester, slm):
    answered(2)
    assert api(agent).get(RESULTS).status_code == 403
    assert api(requester).get(RESULTS).status_code == 403
    assert api(None).get(RESULTS).status_code == 401
    for user in (lead, slm):
        response = api(user).get(RESULTS)
        assert response.status_code == 200 and len(response.json()["results"]) == 2


def test_results_list_filters_and_detail(api, answered, lead, team, agent):
    good = answered(3, score=5)
    low = answered(2, score=1, low_open=True)
    client = api(lead)
    rows = client.get(RESULTS, {"low": "true"}).json()["results"]
    assert {r["id"] for r in rows} == {s.pk for s in low}
    assert all(r["low"] and r["followup_state"] == "open" for r in rows)
    by_team = client.get(RESULTS, {"team_id": team.pk}).json()["results"]
    assert {r["team"]["id"] for r in by_team} == {team.pk}
    assert client.get(RESULTS, {"team_id": "x"}).status_code == 400
    assert client.get(RESULTS, {"cursor": "junk"}).status_code == 400
    detail = client.get(f"{RESULTS}{good[0].pk}/")
    assert detail.status_code == 200 and detail["ETag"] == '"1"'
    assert detail.json()["ticket"]["number"] == good[0].ticket.number and detail.json()["followups"] == []
    assert client.get(f"{RESULTS}999999/").status_code == 404
    assert client.get(f"{RESULTS}abc/").status_code == 404
    # Planned or unanswered surveys are not results.
    Survey.objects.filter(pk=good[0].pk).update(score=None, answered_at=None)
    assert client.get(f"{RESULTS}{good[0].pk}/").status_code == 404


def test_follow_up_through_the_api_with_if_match(api, answered, lead, agent):
    survey = answered(1, score=2, low_open=True)[0]
    url = f"{RESULTS}{survey.pk}/follow-up/"
    assert api(agent).post(url, {"state": "contacted", "note": "x"}, format="json").status_code == 403
    stale = api(lead).post(url, {"state": "contacted", "note": "x"}, format="json", HTTP_IF_MATCH='"7"')
    assert stale.status_code == 412
    bad = api(lead).post(url, {"state": "open", "note": ""}, format="json")
    assert bad.status_code == 400 and set(bad.json()) == {"note"}
    bad_state = api(lead).post(url, {"state": "open", "note": "x"}, format="json")
    assert bad_state.status_code == 400 and "state" in bad_state.json()
    ok = api(lead).post(url, {"state": "closed", "note": "Sorted out."}, format="json", HTTP_IF_MATCH='"1"')
    assert ok.status_code == 200 and ok.json()["followup_state"] == "closed" and ok["ETag"] == '"2"'
    assert ok.json()["followups"][0]["actor"]["username"] == lead.username
    again = api(lead).post(url, {"state": "closed", "note": "again"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "followup_closed"


def test_csat_by_team_agent_and_month(api, answered, lead, team, other_team, agent):
    month = timezone.localdate().replace(day=1)
    at = timezone.make_aware(datetime.combine(month, datetime.min.time())) + timedelta(hours=2)
    answered(4, score=5, at=at)  # two per team
    answered(2, score=1, at=at)  # one per team
    client = api(lead)
    body = client.get("/api/v1/surveys/csat/", {"group_by": "team"}).json()
    rows = {r["group"]: r for r in body["rows"]}
    assert rows[team.name]["responses"] == 3 and rows[team.name]["satisfied"] == 2
    assert rows[team.name]["csat_percent"] == 66.7 and rows[team.name]["average_score"] == 3.67
    assert body["totals"] == {"responses": 6, "csat_percent": 66.7, "average_score": 3.67}
    agents = client.get("/api/v1/surveys/csat/", {"group_by": "agent"}).json()["rows"]
    assert {r["group_id"] for r in agents} == {str(agent.pk), str(other_team.members.first().pk)}
    assert client.get("/api/v1/surveys/csat/", {"group_by": "color"}).status_code == 400
    assert client.get("/api/v1/surveys/csat/", {"start": "2026-13"}).status_code == 400
    assert client.get("/api/v1/surveys/csat/", {"kind": "nope"}).status_code == 400
    old = client.get("/api/v1/surveys/csat/", {"start": "2020-01", "end": "2020-02"}).json()
    assert old["rows"] == [] and old["totals"]["responses"] == 0


def test_csat_page_with_chart_data_and_csv(client, answered, lead, agent, requester):
    answered(3, score=4)
    client.force_login(lead)
    page = client.get("/desk/surveys/")
    assert page.status_code == 200 and 'id="sla-chart-data"' in page.text and "100.0%" in page.text
    assert client.get("/desk/surveys/?start=junk").status_code == 200  # shown as an error, not a 500
    csv = client.get("/desk/surveys/?group_by=service&format=csv")
    assert csv["Content-Type"].startswith("text/csv") and "E-mail" in csv.content.decode()
    client.force_login(agent)
    assert client.get("/desk/surveys/").status_code == 403
    client.force_login(requester)
    assert client.get("/desk/surveys/").status_code == 302


def test_policies_are_edited_by_service_level_managers_not_team_leads(api, client, lead, slm):
    url = "/api/v1/surveys/policies/incident/"
    assert api(lead).patch(url, {"sample_percent": 50}, format="json").status_code == 403
    created = api(slm).patch(url, {"sample_percent": 50, "delay_minutes": 30}, format="json")
    assert created.status_code == 200 and created.json()["sample_percent"] == 50
    assert api(slm).patch(url, {"expiry_days": 0}, format="json").status_code == 400
    assert api(slm).patch(url, {"expiry_days": 7}, format="json", HTTP_IF_MATCH='"9"').status_code == 412
    assert api(slm).patch("/api/v1/surveys/policies/unknown/", {"active": False}, format="json").status_code == 404
    listed = api(lead).get("/api/v1/surveys/policies/").json()["results"]
    assert [p["kind"] for p in listed] == ["incident"]
    client.force_login(lead)
    assert client.get("/desk/surveys/policies/").status_code == 403
    client.force_login(slm)
    assert client.get("/desk/surveys/policies/").status_code == 200
    saved = client.post("/desk/surveys/policies/incident/", {
        "version": SurveyPolicy.objects.get(kind="incident").version, "active": "on", "delay_minutes": 0,
        "sample_percent": 100, "expiry_days": 10, "comment_required_at_or_below": 1})
    assert saved.status_code == 302 and SurveyPolicy.objects.get(kind="incident").expiry_days == 10
    stale = client.post("/desk/surveys/policies/incident/", {
        "version": 1, "delay_minutes": 0, "sample_percent": 100, "expiry_days": 5, "comment_required_at_or_below": 1})
    assert stale.status_code == 400 and "Someone else saved this" in stale.text
    assert client.get("/desk/surveys/policies/nope/").status_code == 404


def test_administrators_edit_policies_too(api):
    admin = UserFactory(roles=[roles.ADMINISTRATOR])
    assert api(admin).patch("/api/v1/surveys/policies/incident/", {"active": True}, format="json").status_code == 200


@pytest.mark.parametrize("n", [3, 30])
def test_lists_run_a_fixed_number_of_queries(n, api, client, answered, lead, django_assert_max_num_queries):
    answered(n, score=1, low_open=True)
    token_client = api(lead)
    with django_assert_max_num_queries(3):
        assert len(token_client.get(RESULTS).json()["results"]) == n
    client.force_login(lead)
    with django_assert_max_num_queries(8):
        assert client.get("/desk/surveys/low-scores/").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get("/desk/surveys/").status_code == 200


@pytest.mark.parametrize("n", [3, 30])
def test_my_surveys_runs_a_fixed_number_of_queries(n, client, answered, requester, django_assert_max_num_queries):
    answered(n, score=5)  # answered within the last hours: still editable, so listed
    client.force_login(requester)
    with django_assert_max_num_queries(5):  # the same for 3 and 30 surveys
        page = client.get("/portal/surveys/")
    assert page.text.count("/portal/surveys/INC") == n


def test_the_detail_reads_its_follow_ups_in_one_query(api, answered, lead):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    survey = answered(1, score=1, low_open=True)[0]
    client = api(lead)
    client.post(f"{RESULTS}{survey.pk}/follow-up/", {"state": "contacted", "note": "Called."}, format="json")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(f"{RESULTS}{survey.pk}/").json()["followups"]) == 1
    client.post(f"{RESULTS}{survey.pk}/follow-up/", {"state": "closed", "note": "Sorted out."}, format="json")
    with CaptureQueriesContext(connection) as two:
        assert len(client.get(f"{RESULTS}{survey.pk}/").json()["followups"]) == 2
    assert len(two.captured_queries) == len(one.captured_queries)
