"""The problem, known-error, suggestion and candidate API: shapes, ETag/If-Match, errors and permissions."""

import pytest

from problems import services
from problems.models import ProblemCandidate

from .conftest import PROBLEMS, url

pytestmark = pytest.mark.django_db


def test_record_from_incidents_and_read_with_an_etag(api, agent, incidents):
    client = api(agent)
    answer = client.post(PROBLEMS, {"incidents": [incidents[0].number, incidents[1].number], "impact": 1,
                                    "urgency": 2}, format="json")
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["number"].startswith("PRB") and body["priority"] == 2
    assert [i["number"] for i in body["incidents"]] == sorted([incidents[0].number, incidents[1].number],
                                                               reverse=True) or len(body["incidents"]) == 2
    assert body["actions"] == []  # agents do not move problems
    detail = client.get(url(body["number"]))
    assert detail["ETag"] == f'"{body["version"]}"'


def test_unknown_incident_is_a_field_error(api, agent):
    answer = api(agent).post(PROBLEMS, {"incidents": ["INC9999999"]}, format="json")
    assert answer.status_code == 400 and "incidents" in answer.json()


def test_an_incident_already_linked_is_a_conflict(api, agent, problem, incidents):
    answer = api(agent).post(PROBLEMS, {"incidents": [incidents[0].number]}, format="json")
    assert answer.status_code == 409 and answer.json()["code"] == "already_linked"


def test_patch_honours_if_match(api, agent, problem):
    client = api(agent)
    stale = client.patch(url(problem.number), {"title": "New"}, format="json", HTTP_IF_MATCH='"0"')
    assert stale.status_code == 412
    fresh = client.patch(url(problem.number), {"title": "New", "urgency": 1}, format="json",
                         HTTP_IF_MATCH=f'"{problem.version}"')
    assert fresh.status_code == 200 and fresh.json()["title"] == "New"
    assert fresh.json()["priority"] == 2  # impact 2 x urgency 1


def test_transition_guards_and_bulk_resolution(api, pm, problem, incidents):
    client = api(pm)
    assert client.post(url(problem.number, "transition"), {"to": "investigation"}, format="json").status_code == 200
    refused = client.post(url(problem.number, "transition"), {"to": "resolved"}, format="json")
    assert refused.status_code == 409 and refused.json()["missing"] == ["successful_change_or_reason"]
    illegal = client.post(url(problem.number, "transition"), {"to": "closed"}, format="json")
    assert illegal.status_code == 409 and illegal.json()["code"] == "transition_not_allowed"
    answer = client.post(url(problem.number, "transition"), {
        "to": "resolved", "no_change_reason": "Vendor fix", "resolve_incidents": True,
        "incident_note": "Fixed at the source."}, format="json")
    assert answer.status_code == 200, answer.json()
    assert sorted(answer.json()["incident_resolution"]["resolved"]) == sorted(i.number for i in incidents[:2])
    assert answer.json()["incident_resolution"]["not_resolved"] == []


def test_rca_is_for_problem_managers(api, agent, pm, problem):
    body = {"rca_method": "five_whys", "rca_content": {"whys": [{"why": "a", "answer": "b"}]}, "root_cause": "c",
            "cause_category": "hardware"}
    assert api(agent).put(url(problem.number, "rca"), body, format="json").status_code == 403
    answer = api(pm).put(url(problem.number, "rca"), body, format="json")
    assert answer.status_code == 200 and answer.json()["rca_content"] == {"whys": [{"why": "a", "answer": "b"}]}
    bad = api(pm).put(url(problem.number, "rca"), {**body, "cause_category": "weather"}, format="json")
    assert bad.status_code == 400 and "cause_category" in bad.json()


def test_link_and_unlink_incidents(api, agent, problem, incidents):
    client = api(agent)
    linked = client.post(url(problem.number, "incidents"), {"incidents": [incidents[2].number]}, format="json")
    assert linked.status_code == 200 and len(linked.json()["incidents"]) == 3
    assert client.delete(url(problem.number, f"incidents/{incidents[2].number}")).status_code == 204
    assert len(client.get(url(problem.number, "incidents")).json()["incidents"]) == 2
    assert client.delete(url(problem.number, f"incidents/{incidents[2].number}")).status_code == 404


def test_requesters_reach_none_of_it(api, requester, problem, incidents):
    client = api(requester)
    for path in (PROBLEMS, url(problem.number), "/api/v1/known-errors/", "/api/v1/problems/candidates/",
                 f"/api/v1/incidents/{incidents[0].number}/known-error-suggestions/"):
        assert client.get(path).status_code == 403, path
    assert api(None).get(PROBLEMS).status_code == 401


def test_unknown_numbers_are_404(api, agent):
    assert api(agent).get(url("PRB9999999")).status_code == 404
    assert api(agent).get(url("not-a-number")).status_code == 404
    assert api(agent).get("/api/v1/known-errors/abc/").status_code == 404


def test_known_errors_crud_search_and_if_match(api, pm, agent, problem):
    created = api(pm).post("/api/v1/known-errors/", {
        "title": "메일 발송 지연", "symptoms": "메일서버 큐가 쌓입니다", "workaround": "**재시도**",
        "workaround_public": True, "problem": problem.number}, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["problem"] == problem.number and "<strong>" in body["workaround_html"]
    assert api(agent).post("/api/v1/known-errors/", {"title": "x", "symptoms": "y"}, format="json").status_code == 403
    found = api(agent).get("/api/v1/known-errors/", {"q": "서버"}).json()["results"]
    assert [k["id"] for k in found] == [body["id"]]
    assert api(agent).get("/api/v1/known-errors/", {"q": "printer"}).json()["results"] == []
    stale = api(pm).patch(f"/api/v1/known-errors/{body['id']}/", {"status": "retired"}, format="json",
                          HTTP_IF_MATCH='"99"')
    assert stale.status_code == 412
    bad = api(pm).patch(f"/api/v1/known-errors/{body['id']}/", {"status": "gone"}, format="json")
    assert bad.status_code == 400 and "status" in bad.json()


def test_suggestions_and_apply(api, agent, make_known_error, make_incident):
    known_error = make_known_error(title="VPN disconnects", symptoms="Tunnel drops", workaround="Use TCP")
    incident = make_incident(title="VPN disconnects again")
    answer = api(agent).get(f"/api/v1/incidents/{incident.number}/known-error-suggestions/")
    assert answer.status_code == 200 and answer.json()["results"][0]["id"] == known_error.pk
    applied = api(agent).post(f"/api/v1/known-errors/{known_error.pk}/apply/",
                              {"incident": incident.number, "tell_requester": True}, format="json")
    assert applied.status_code == 200 and applied.json()["told_requester"] is True


def test_candidates_accept_and_dismiss(api, pm, agent, incidents):
    services.candidates_detect(min_incidents=3, window_days=14)
    listed = api(agent).get("/api/v1/problems/candidates/").json()["results"]
    assert {c["reason"] for c in listed} == {"same_ci", "similar_text"}
    same_ci = next(c for c in listed if c["reason"] == "same_ci")
    assert api(agent).post(f"/api/v1/problems/candidates/{same_ci['id']}/accept/", {}, format="json").status_code == 403
    accepted = api(pm).post(f"/api/v1/problems/candidates/{same_ci['id']}/accept/", {}, format="json")
    assert accepted.status_code == 201 and len(accepted.json()["incidents"]) == 3
    other = ProblemCandidate.objects.get(reason="similar_text")
    dismissed = api(pm).post(f"/api/v1/problems/candidates/{other.pk}/dismiss/")
    assert dismissed.status_code == 200 and dismissed.json()["state"] == "dismissed"
    assert api(pm).post(f"/api/v1/problems/candidates/{other.pk}/dismiss/").status_code == 409


def test_problem_list_query_count_is_flat(api, pm, django_assert_max_num_queries):
    client = api(pm)
    for n in range(3):
        services.problem_create(actor=pm, title=f"Problem {n}", problem_manager=pm)
    with django_assert_max_num_queries(4):
        assert len(client.get(PROBLEMS).json()["results"]) == 3
    for n in range(27):
        services.problem_create(actor=pm, title=f"More {n}", problem_manager=pm)
    with django_assert_max_num_queries(4):
        assert len(client.get(PROBLEMS).json()["results"]) == 30


def test_known_error_list_query_count_is_flat(api, pm, make_known_error, django_assert_max_num_queries):
    from cmdb.factories import CIFactory

    client = api(pm)
    for n in range(3):
        make_known_error(title=f"KE {n}", cis=[CIFactory()])
    with django_assert_max_num_queries(4):
        assert len(client.get("/api/v1/known-errors/").json()["results"]) == 3
    for n in range(27):
        make_known_error(title=f"KE more {n}", cis=[CIFactory()])
    with django_assert_max_num_queries(4):
        assert len(client.get("/api/v1/known-errors/").json()["results"]) == 30


def test_raise_a_change_from_a_problem_through_the_change_api(api, agent, problem):
    answer = api(agent).post("/api/v1/changes/", {"from_incident": problem.number, "change_type": "normal"},
                             format="json")
    assert answer.status_code == 201, answer.json()
    changes = api(agent).get(url(problem.number)).json()["changes"]
    assert [c["number"] for c in changes] == [answer.json()["number"]]


def test_candidate_list_query_count_is_flat(api, pm, make_incident, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    devices = ["scanner", "plotter", "badge reader", "projector", "docking station", "headset", "webcam", "kiosk"]

    def cluster(n):
        for _i in range(3):  # digits are ignored when titles are compared, so each cluster names its device
            make_incident(title=f"The {devices[n]} keeps failing", description="")

    for n in range(2):
        cluster(n)
    services.candidates_detect(min_incidents=3, window_days=14)
    client = api(pm)
    response = client.get("/api/v1/problems/candidates/")  # warm the person's permissions
    with CaptureQueriesContext(connection) as few:
        rows = client.get("/api/v1/problems/candidates/").json()["results"]
    assert len(rows) == 2 and all(len(r["incidents"]) == 3 for r in rows)
    for n in range(2, 8):
        cluster(n)
    services.candidates_detect(min_incidents=3, window_days=14)
    with django_assert_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/v1/problems/candidates/").json()["results"]) == 8
    assert response.status_code == 200
