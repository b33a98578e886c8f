"""Incident actions: transitions, assignment, escalation, major, parent/child, merge, conversation, time, CIs."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from incidents.choices import IncidentState as S
from servicedesk.choices import EventKind
from servicedesk.models import Attachment, Comment, Notification, Ticket, TicketCI, TimeEntry, TimelineEntry

from .conftest import url

pytestmark = pytest.mark.django_db

RESOLVE = {"to": "resolved", "resolution_code": "solved_permanently", "resolution_notes": "Restarted the MTA."}


# --- Transitions ----------------------------------------------------------------------------


def test_agent_works_incident_to_resolution_and_requester_confirms(agent_api, requester_api, incident):
    response = agent_api.post(url(incident.number, "transition"), {"to": "in_progress"}, format="json")
    assert response.status_code == 200 and response.data["state"] == S.IN_PROGRESS
    response = agent_api.post(url(incident.number, "transition"),
                              {"to": "on_hold", "on_hold_reason": "awaiting_vendor"}, format="json")
    assert response.data["on_hold_reason"] == "awaiting_vendor"
    agent_api.post(url(incident.number, "transition"), {"to": "in_progress"}, format="json")
    response = agent_api.post(url(incident.number, "transition"), {**RESOLVE, "note": "Fixed, please check."},
                              format="json")
    assert response.status_code == 200, response.data
    assert response.data["state"] == S.RESOLVED and response.data["resolution_code"] == "solved_permanently"
    assert response.data["resolved_at"] is not None
    assert response["ETag"] == f'"{response.data["version"]}"'

    mine = requester_api.get(url(incident.number)).data
    assert {t["to"] for t in mine["allowed_transitions"]} == {S.CLOSED, S.IN_PROGRESS}
    response = requester_api.post(url(incident.number, "transition"), {"to": "closed"}, format="json")
    assert response.status_code == 200 and response.data["state"] == S.CLOSED
    assert response.data["allowed_transitions"] == []


def test_illegal_transition_is_409_listing_allowed_moves(agent_api, incident):
    response = agent_api.post(url(incident.number, "transition"), {"to": "closed"}, format="json")
    assert response.status_code == 409
    assert response.data["code"] == "transition_not_allowed"
    assert response.data["allowed"] == sorted([S.CANCELLED, S.IN_PROGRESS, S.ON_HOLD, S.RESOLVED])
    assert Ticket.objects.get(pk=incident.pk).state == S.NEW


def test_requester_may_not_resolve_their_own_incident(requester_api, incident):
    response = requester_api.post(url(incident.number, "transition"), RESOLVE, format="json")
    assert response.status_code == 409 and response.data["allowed"] == [S.CANCELLED]


def test_transition_missing_required_fields_is_400(agent_api, incident):
    response = agent_api.post(url(incident.number, "transition"), {"to": "resolved"}, format="json")
    assert response.status_code == 400
    assert set(response.data) == {"resolution_code", "resolution_notes"}
    response = agent_api.post(url(incident.number, "transition"), {"to": "on_hold"}, format="json")
    assert response.status_code == 400 and set(response.data) == {"on_hold_reason"}
    assert Ticket.objects.get(pk=incident.pk).state == S.NEW


@pytest.mark.parametrize("payload", [{"to": "flying"}, {"to": "new"}, {"to": ""}, {}, {"to": ["resolved"]},
                                     {**RESOLVE, "resolution_code": "magic"}, {"to": "on_hold", "on_hold_reason": 5}])
def test_unknown_states_and_codes_are_400(agent_api, incident, payload):
    response = agent_api.post(url(incident.number, "transition"), payload, format="json")
    assert response.status_code == 400


def test_transition_honours_if_match(agent_api, incident):
    response = agent_api.post(url(incident.number, "transition"), {"to": "in_progress"}, format="json",
                              HTTP_IF_MATCH='"0"')
    assert response.status_code == 412 and response.data["current_version"] == incident.version
    etag = agent_api.get(url(incident.number))["ETag"]
    response = agent_api.post(url(incident.number, "transition"), {"to": "in_progress"}, format="json",
                              HTTP_IF_MATCH=etag)
    assert response.status_code == 200


def test_closing_parent_with_open_child_is_409(agent_api, incident, make_incident):
    child = make_incident()
    agent_api.post(url(child.number, "parent"), {"parent": incident.number}, format="json")
    agent_api.post(url(child.number, "transition"), {"to": "in_progress"}, format="json")
    Ticket.objects.filter(pk=incident.pk).update(state=S.RESOLVED, active=False)
    response = agent_api.post(url(incident.number, "transition"), {"to": "closed"}, format="json")
    assert response.status_code == 409 and response.data["code"] == "open_children"


def test_resolving_parent_resolves_children(agent_api, incident, make_incident):
    child = make_incident()
    agent_api.post(url(child.number, "parent"), {"parent": incident.number}, format="json")
    agent_api.post(url(incident.number, "transition"), RESOLVE, format="json")
    body = agent_api.get(url(child.number)).data
    assert body["state"] == S.RESOLVED and body["resolution_code"] == "resolved_with_parent"


# --- Assignment and escalation --------------------------------------------------------------


def test_assign_team_and_agent_then_reassign_to_me(agent_api, api, incident, agent, team, other_team,
                                                  other_agent):
    response = agent_api.post(url(incident.number, "assign"), {"team": other_team.pk, "assignee": other_agent.pk},
                              format="json")
    assert response.status_code == 200, response.data
    assert response.data["team"]["id"] == other_team.pk and response.data["assignee"]["id"] == other_agent.pk
    response = agent_api.post(url(incident.number, "assign"), {"to_me": True}, format="json")
    assert response.status_code == 409 and response.data["code"] == "not_team_member", "not my team: refused"
    response = agent_api.post(url(incident.number, "assign"), {"team": team.pk}, format="json")
    response = agent_api.post(url(incident.number, "assign"), {"to_me": True}, format="json")
    assert response.status_code == 200 and response.data["assignee"]["id"] == agent.pk
    assert response.data["team"]["id"] == team.pk
    response = agent_api.post(url(incident.number, "assign"), {"team": None}, format="json")
    assert response.data["team"] is None and response.data["assignee"] is None


def test_assign_errors(agent_api, api, incident, agent, other_team, lead):
    response = agent_api.post(url(incident.number, "assign"), {"team": other_team.pk, "assignee": agent.pk},
                              format="json")
    assert response.status_code == 400 and "assignee" in response.data
    response = agent_api.post(url(incident.number, "assign"), {"to_me": True, "team": other_team.pk}, format="json")
    assert response.status_code == 400 and "to_me" in response.data
    response = agent_api.post(url(incident.number, "assign"), {}, format="json")
    assert response.status_code == 400 and "team" in response.data
    response = agent_api.post(url(incident.number, "assign"), {"to_me": True}, format="json", HTTP_IF_MATCH='"42"')
    assert response.status_code == 412
    loner = api(lead)
    lead.teams.clear()
    response = loner.post(url(incident.number, "assign"), {"to_me": True}, format="json")
    assert response.status_code == 409 and response.data["code"] == "no_team"


def test_functional_and_hierarchical_escalation(agent_api, incident, other_team, lead):
    response = agent_api.post(url(incident.number, "escalate"),
                              {"level": "functional", "team": other_team.pk, "reason": "Network fault"}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["team"]["id"] == other_team.pk
    assert TimelineEntry.objects.filter(ticket=incident, kind=EventKind.ESCALATED).count() == 1
    response = agent_api.post(url(incident.number, "escalate"), {"level": "hierarchical", "reason": "Urgent"},
                              format="json")
    assert response.status_code == 409 and response.data["code"] == "no_team_lead", "Network has no lead"
    agent_api.post(url(incident.number, "assign"), {"team": lead.teams.get().pk}, format="json")
    response = agent_api.post(url(incident.number, "escalate"), {"level": "hierarchical", "reason": "Urgent"},
                              format="json")
    assert response.status_code == 200
    assert Notification.objects.filter(ticket=incident, recipient=lead, reason="escalated").exists()


def test_escalate_field_errors(agent_api, incident):
    response = agent_api.post(url(incident.number, "escalate"), {"level": "sideways", "reason": ""}, format="json")
    assert response.status_code == 400 and {"level", "reason"} <= set(response.data)
    response = agent_api.post(url(incident.number, "escalate"), {"level": "functional", "reason": "x"}, format="json")
    assert response.status_code == 400 and "team" in response.data


def test_major_incident_flag(api, lead, agent_api, incident):
    lead_api = api(lead)
    response = lead_api.post(url(incident.number, "major"), {"major": True}, format="json")
    assert response.status_code == 409 and response.data["code"] == "not_p1"
    agent_api.patch(url(incident.number), {"impact": 1, "urgency": 1}, format="json")
    response = lead_api.post(url(incident.number, "major"), {"major": True}, format="json")
    assert response.status_code == 200 and response.data["major"] is True
    assert [r["number"] for r in agent_api.get("/api/v1/incidents/", {"major": "true"}).data["results"]] == [
        incident.number]
    response = lead_api.post(url(incident.number, "major"), {"major": False}, format="json")
    assert response.data["major"] is False
    assert lead_api.post(url(incident.number, "major"), {}, format="json").status_code == 400


def test_an_agent_may_not_declare_or_clear_a_major_incident(api, lead, agent_api, make_incident):
    p1 = make_incident(impact=1, urgency=1)
    response = agent_api.post(url(p1.number, "major"), {"major": True}, format="json")
    assert response.status_code == 403 and response.data["code"] == "major_incident_not_permitted"
    assert "team leads" in response.data["detail"]
    assert api(lead).post(url(p1.number, "major"), {"major": True}, format="json").status_code == 200
    response = agent_api.post(url(p1.number, "major"), {"major": False}, format="json")
    assert response.status_code == 403 and agent_api.get(url(p1.number)).data["major"] is True


# --- Parent, merge --------------------------------------------------------------------------


def test_parent_link_and_unlink(agent_api, incident, make_incident):
    child = make_incident()
    response = agent_api.post(url(child.number, "parent"), {"parent": incident.number.lower()}, format="json")
    assert response.status_code == 200 and response.data["parent"] == incident.number
    assert agent_api.get("/api/v1/incidents/", {"parent": incident.number}).data["results"][0]["number"] == child.number
    response = agent_api.post(url(child.number, "parent"), {"parent": None}, format="json")
    assert response.status_code == 200 and response.data["parent"] is None


def test_parent_errors(agent_api, incident):
    response = agent_api.post(url(incident.number, "parent"), {"parent": incident.number}, format="json")
    assert response.status_code == 400 and "parent" in response.data
    response = agent_api.post(url(incident.number, "parent"), {"parent": "INC9999999"}, format="json")
    assert response.status_code == 400 and "INC9999999" in response.data["parent"][0]
    response = agent_api.post(url(incident.number, "parent"), {"parent": "'; --"}, format="json")
    assert response.status_code == 400
    response = agent_api.post(url(incident.number, "parent"), {}, format="json")
    assert response.status_code == 400


def test_merge_duplicate(agent_api, incident, make_incident, other_requester):
    duplicate = make_incident(requester=other_requester, title="Mail broken too")
    response = agent_api.post(url(duplicate.number, "merge"), {"into": incident.number}, format="json")
    assert response.status_code == 200, response.data
    assert response.data["state"] == S.CLOSED and response.data["merged_into"] == incident.number
    assert response.data["resolution_code"] == "duplicate"
    assert incident.watchers.filter(pk=other_requester.pk).exists()
    response = agent_api.post(url(duplicate.number, "merge"), {"into": incident.number}, format="json")
    assert response.status_code == 409 and response.data["code"] == "not_active"
    response = agent_api.post(url(incident.number, "merge"), {"into": incident.number}, format="json")
    assert response.status_code == 400 and "into" in response.data


# --- Conversation ---------------------------------------------------------------------------


def test_comments_public_and_work_notes(agent_api, requester_api, incident, requester):
    response = agent_api.post(url(incident.number, "comments"), {"body": "Looking into it"}, format="json")
    assert response.status_code == 201 and response.data["public"] is True
    response = agent_api.post(url(incident.number, "comments"), {"body": "MTA queue full", "public": False},
                              format="json")
    assert response.status_code == 201 and response.data["public"] is False
    response = requester_api.post(url(incident.number, "comments"), {"body": "Thanks!"}, format="json")
    assert response.status_code == 201 and response.data["author"]["id"] == requester.pk

    agent_view = [c["body"] for c in agent_api.get(url(incident.number, "comments")).data["results"]]
    assert agent_view == ["Looking into it", "MTA queue full", "Thanks!"]
    requester_view = [c["body"] for c in requester_api.get(url(incident.number, "comments")).data["results"]]
    assert requester_view == ["Looking into it", "Thanks!"], "work notes are never shown to requesters"
    newest = agent_api.get(url(incident.number, "comments"), {"ordering": "-created_at", "page_size": 1}).data
    assert [c["body"] for c in newest["results"]] == ["Thanks!"] and newest["next"]


def test_requester_cannot_write_work_notes(requester_api, incident):
    response = requester_api.post(url(incident.number, "comments"), {"body": "secret", "public": False},
                                  format="json")
    assert response.status_code == 403
    assert not Comment.objects.filter(ticket=incident).exists()


def test_comment_errors(agent_api, incident):
    assert agent_api.post(url(incident.number, "comments"), {"body": ""}, format="json").status_code == 400
    assert agent_api.post(url(incident.number, "comments"), {"body": "   "}, format="json").status_code == 400
    assert agent_api.post(url(incident.number, "comments"), {"body": "x" * 50_001}, format="json").status_code == 400
    assert agent_api.post(url(incident.number, "comments"), {"body": "a\x00b"}, format="json").status_code == 400
    assert agent_api.post(url(incident.number, "comments"), {"body": "x", "public": "maybe"},
                          format="json").status_code == 400
    assert not Comment.objects.exists()


def test_attachments_upload_list_and_privacy(agent_api, requester_api, incident, client, requester):
    screenshot = SimpleUploadedFile("screen.png", b"\x89PNG fake", content_type="image/png")
    response = requester_api.post(url(incident.number, "attachments"), {"file": screenshot}, format="multipart")
    assert response.status_code == 201, response.data
    assert response.data["name"] == "screen.png" and response.data["size"] == 9 and response.data["public"]
    log = SimpleUploadedFile("mta.log", b"queue full", content_type="text/plain")
    response = agent_api.post(url(incident.number, "attachments"), {"file": log, "public": "false"},
                              format="multipart")
    assert response.status_code == 201 and response.data["public"] is False

    agent_rows = agent_api.get(url(incident.number, "attachments")).data["results"]
    assert [a["name"] for a in agent_rows] == ["screen.png", "mta.log"]
    requester_rows = requester_api.get(url(incident.number, "attachments")).data["results"]
    assert [a["name"] for a in requester_rows] == ["screen.png"], "private attachments are agents' only"

    download = requester_rows[0]["download_url"]
    assert download.startswith("http://testserver/attachments/")
    client.force_login(requester)
    assert b"".join(client.get(download).streaming_content) == b"\x89PNG fake"


def test_requester_upload_is_always_public(requester_api, incident):
    upload = SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain")
    response = requester_api.post(url(incident.number, "attachments"), {"file": upload, "public": "false"},
                                  format="multipart")
    assert response.status_code == 201 and response.data["public"] is True


def test_attachment_limits(agent_api, incident, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    big = SimpleUploadedFile("big.txt", b"x" * 2048, content_type="text/plain")
    response = agent_api.post(url(incident.number, "attachments"), {"file": big}, format="multipart")
    assert response.status_code == 400 and "file" in response.data
    huge = SimpleUploadedFile("huge.txt", b"x" * 200_000, content_type="text/plain")
    response = agent_api.post(url(incident.number, "attachments"), {"file": huge}, format="multipart")
    assert response.status_code == 400 and "file" in response.data
    script = SimpleUploadedFile("evil.exe", b"MZ", content_type="application/octet-stream")
    response = agent_api.post(url(incident.number, "attachments"), {"file": script}, format="multipart")
    assert response.status_code == 400 and ".exe" in response.data["file"][0]
    empty = SimpleUploadedFile("empty.txt", b"", content_type="text/plain")
    assert agent_api.post(url(incident.number, "attachments"), {"file": empty},
                          format="multipart").status_code == 400
    assert agent_api.post(url(incident.number, "attachments"), {}, format="multipart").status_code == 400
    assert agent_api.post(url(incident.number, "attachments"), {"file": "text"}, format="json").status_code == 415
    assert not Attachment.objects.exists()


def test_timeline_hides_internal_entries_from_requesters(agent_api, requester_api, incident):
    agent_api.post(url(incident.number, "comments"), {"body": "internal", "public": False}, format="json")
    agent_api.post(url(incident.number, "comments"), {"body": "public reply"}, format="json")
    agent_api.post(url(incident.number, "transition"), {"to": "in_progress"}, format="json")
    agent_rows = agent_api.get(url(incident.number, "timeline")).data["results"]
    kinds = [row["kind"] for row in agent_rows]
    assert kinds[0] == EventKind.CREATED and EventKind.WORK_NOTE in kinds and EventKind.ASSIGNED in kinds
    requester_rows = requester_api.get(url(incident.number, "timeline")).data["results"]
    assert all(row["public"] for row in requester_rows)
    assert [row["kind"] for row in requester_rows] == [EventKind.CREATED, EventKind.COMMENT, EventKind.STATE]
    assert requester_rows[1]["comment"]["body"] == "public reply"
    assert requester_rows[2]["data"]["target"] == S.IN_PROGRESS


# --- Time and CIs ---------------------------------------------------------------------------


def test_time_entries_totals_per_agent(agent_api, api, incident, agent, other_agent):
    response = agent_api.post(url(incident.number, "time-entries"), {"minutes": 30, "note": "Diagnosed"},
                              format="json")
    assert response.status_code == 201, response.data
    assert response.data["minutes"] == 30 and response.data["note"] == "Diagnosed"
    agent_api.post(url(incident.number, "time-entries"), {"minutes": 15, "note": "Fixed"}, format="json")
    api(other_agent).post(url(incident.number, "time-entries"), {"minutes": 5, "note": "Checked"}, format="json")
    totals = agent_api.get(url(incident.number, "time-entries")).data
    assert totals["total_minutes"] == 50
    assert {row["agent"]["id"]: row["minutes"] for row in totals["by_agent"]} == {agent.pk: 45, other_agent.pk: 5}


@pytest.mark.parametrize("payload", [{"minutes": 0, "note": "x"}, {"minutes": 1441, "note": "x"},
                                     {"minutes": 10, "note": ""}, {"minutes": "ten", "note": "x"},
                                     '{"minutes": 1e400, "note": "x"}', {"note": "x"}])
def test_time_entry_errors_write_nothing(agent_api, incident, payload):
    if isinstance(payload, str):  # JSON the test client cannot produce itself
        response = agent_api.post(url(incident.number, "time-entries"), payload, content_type="application/json")
    else:
        response = agent_api.post(url(incident.number, "time-entries"), payload, format="json")
    assert response.status_code == 400
    assert not TimeEntry.objects.exists() and not Comment.objects.exists()


def test_requester_cannot_see_or_record_time(requester_api, incident):
    assert requester_api.get(url(incident.number, "time-entries")).status_code == 403
    response = requester_api.post(url(incident.number, "time-entries"), {"minutes": 5, "note": "x"}, format="json")
    assert response.status_code == 403
    assert not Comment.objects.exists()


def test_link_list_and_unlink_cis(agent_api, requester_api, incident, ci, service):
    response = agent_api.post(url(incident.number, "cis"), {"cis": [ci.pk, service.pk, ci.pk]}, format="json")
    assert response.status_code == 200, response.data
    assert [c["name"] for c in response.data["cis"]] == sorted([ci.name, service.name])
    listed = agent_api.get(url(incident.number, "cis")).data["results"]
    assert [c["id"] for c in listed] == [c["id"] for c in response.data["cis"]]
    assert requester_api.delete(url(incident.number, f"cis/{ci.pk}")).status_code == 403
    assert agent_api.delete(url(incident.number, f"cis/{ci.pk}")).status_code == 204
    assert list(TicketCI.objects.filter(ticket=incident).values_list("ci_id", flat=True)) == [service.pk]
    assert agent_api.delete(url(incident.number, "cis/999999")).status_code == 404
    assert agent_api.delete(url(incident.number, f"cis/{10**30}")).status_code == 404


def test_link_cis_errors(agent_api, requester_api, incident, ci):
    assert agent_api.post(url(incident.number, "cis"), {"cis": []}, format="json").status_code == 400
    assert agent_api.post(url(incident.number, "cis"), {"cis": [ci.pk, 987654]}, format="json").status_code == 400
    assert agent_api.post(url(incident.number, "cis"), {"cis": ci.pk}, format="json").status_code == 400
    assert requester_api.post(url(incident.number, "cis"), {"cis": [ci.pk]}, format="json").status_code == 403
    assert not TicketCI.objects.exists()


# --- Watchers -------------------------------------------------------------------------------


def test_watchers_added_listed_and_removed(agent_api, requester_api, other_requester_api, incident, agent,
                                           other_requester, requester):
    watchers = url(incident.number, "watchers")
    assert other_requester_api.get(url(incident.number)).status_code == 404, "not theirs yet"
    assert agent_api.post(watchers, {"user": other_requester.pk}, format="json").status_code == 204
    assert [w["username"] for w in agent_api.get(watchers).data["results"]] == [other_requester.username]
    assert other_requester_api.get(url(incident.number)).status_code == 200, "a watcher may read it"
    assert agent_api.post(watchers, {}, format="json").status_code == 204, "watch it myself"
    assert {w["id"] for w in agent_api.get(watchers).data["results"]} == {agent.pk, other_requester.pk}
    assert requester_api.post(watchers, {"user": agent.pk}, format="json").status_code == 403, \
        "only agents add other people"
    assert requester_api.delete(f"{watchers}{agent.pk}/").status_code == 403
    assert other_requester_api.delete(f"{watchers}{other_requester.pk}/").status_code == 204, "anyone may leave"
    assert agent_api.delete(f"{watchers}99999/").status_code == 404
    assert agent_api.post(watchers, {"user": "x"}, format="json").status_code == 400
    kinds = list(TimelineEntry.objects.filter(ticket=incident, kind="watchers").values_list("data", flat=True))
    assert [("added" in d, d["user_id"]) for d in kinds] == [(True, other_requester.pk), (True, agent.pk),
                                                             (False, other_requester.pk)]
