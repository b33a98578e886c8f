"""Deny by default: anonymous callers get 401 everywhere, other requesters get 404 for every object URL,
requesters get 403 for desk-only actions on their own incidents and never see internal records."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from accounts import roles
from accounts.factories import UserFactory
from servicedesk.models import Comment, Ticket

from .conftest import INCIDENTS, url

pytestmark = pytest.mark.django_db

# Every incident object URL and a request that would be valid for its owner or an agent.
OBJECT_CALLS = [
    ("get", "", None),
    ("patch", "", {"title": "x"}),
    ("post", "transition", {"to": "cancelled"}),
    ("post", "assign", {"to_me": True}),
    ("post", "escalate", {"level": "hierarchical", "reason": "x"}),
    ("post", "major", {"major": False}),
    ("post", "parent", {"parent": None}),
    ("post", "merge", {"into": "INC0000099"}),
    ("get", "comments", None),
    ("post", "comments", {"body": "hi"}),
    ("get", "attachments", None),
    ("post", "attachments", "file"),
    ("get", "timeline", None),
    ("get", "time-entries", None),
    ("post", "time-entries", {"minutes": 5, "note": "x"}),
    ("get", "cis", None),
    ("post", "cis", {"cis": ["CI"]}),
    ("delete", "cis/CI", None),
]
LIST_URLS = [INCIDENTS, "/api/v1/teams/", "/api/v1/categories/", "/api/v1/services/", "/api/v1/users/"]


def call(client, method, number, action, payload, ci):
    path = url(number, action.replace("CI", str(ci.pk)))
    if payload == "file":
        return client.post(path, {"file": SimpleUploadedFile("a.txt", b"hello")}, format="multipart")
    if isinstance(payload, dict) and payload.get("cis"):
        payload = {"cis": [ci.pk]}
    return getattr(client, method)(path, payload, format="json") if payload is not None else getattr(
        client, method)(path)


@pytest.mark.parametrize(("method", "action", "payload"), OBJECT_CALLS)
def test_other_requester_gets_404_on_every_object_url(other_requester_api, incident, ci, method, action, payload):
    version = Ticket.objects.get(pk=incident.pk).version
    response = call(other_requester_api, method, incident.number, action, payload, ci)
    assert response.status_code == 404, response.data
    assert response.data == {"detail": response.data["detail"], "code": "not_found"}
    assert Ticket.objects.get(pk=incident.pk).version == version
    assert not Comment.objects.exists()


@pytest.mark.parametrize(("method", "action", "payload"), OBJECT_CALLS)
def test_anonymous_gets_401_on_every_object_url(anonymous_api, incident, ci, method, action, payload):
    response = call(anonymous_api, method, incident.number, action, payload, ci)
    assert response.status_code == 401
    assert response.data["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == "Token"


@pytest.mark.parametrize("path", LIST_URLS)
def test_anonymous_gets_401_on_lists(anonymous_api, path):
    assert anonymous_api.get(path).status_code == 401
    assert anonymous_api.get(f"{path}1/").status_code == 401


def test_bad_token_is_401(incident):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get(INCIDENTS).status_code == 401


def test_disabled_account_token_stops_working(api, requester, incident):
    client = api(requester)
    requester.is_active = False
    requester.save()
    assert client.get(url(incident.number)).status_code == 401


@pytest.mark.parametrize(("method", "action", "payload"), [
    ("patch", "", {"title": "x"}),
    ("post", "assign", {"to_me": True}),
    ("post", "escalate", {"level": "hierarchical", "reason": "x"}),
    ("post", "major", {"major": False}),
    ("post", "parent", {"parent": None}),
    ("get", "time-entries", None),
    ("post", "time-entries", {"minutes": 5, "note": "x"}),
    ("post", "cis", {"cis": ["CI"]}),
    ("delete", "cis/CI", None),
])
def test_requester_is_refused_desk_actions_on_own_incident(requester_api, incident, ci, method, action, payload):
    version = Ticket.objects.get(pk=incident.pk).version
    response = call(requester_api, method, incident.number, action, payload, ci)
    assert response.status_code == 403, response.data
    assert response.data["code"] == "permission_denied"
    assert Ticket.objects.get(pk=incident.pk).version == version


def test_requester_merge_is_refused(requester_api, incident, make_incident):
    other = make_incident()
    response = requester_api.post(url(incident.number, "merge"), {"into": other.number}, format="json")
    assert response.status_code == 403


def test_requester_lists_only_own_incidents(requester_api, other_requester_api, make_incident, other_requester):
    mine = make_incident()
    theirs = make_incident(requester=other_requester)
    assert [r["number"] for r in requester_api.get(INCIDENTS).data["results"]] == [mine.number]
    assert [r["number"] for r in other_requester_api.get(INCIDENTS).data["results"]] == [theirs.number]
    assert requester_api.get(INCIDENTS, {"q": theirs.number}).data["results"] == []
    assert requester_api.get(INCIDENTS, {"requester_id": other_requester.pk}).data["results"] == []


def test_shared_organisation_and_watchers_see_tickets(api, requester, organisation, make_incident, other_requester):
    colleague = UserFactory(username="carol", organisation=organisation, roles=[roles.REQUESTER])
    ticket = make_incident()
    assert api(colleague).get(url(ticket.number)).status_code == 404
    organisation.share_tickets = True
    organisation.save()
    assert api(colleague).get(url(ticket.number)).status_code == 200
    ticket.watchers.add(other_requester)
    assert api(other_requester).get(url(ticket.number)).status_code == 200


def test_requester_never_sees_internal_records(agent_api, requester_api, incident):
    agent_api.post(url(incident.number, "comments"), {"body": "root cause: bad config", "public": False},
                   format="json")
    agent_api.post(url(incident.number, "attachments"),
                   {"file": SimpleUploadedFile("dump.txt", b"secret"), "public": "false"}, format="multipart")
    agent_api.post(url(incident.number, "time-entries"), {"minutes": 5, "note": "internal time note"}, format="json")
    seen = str(requester_api.get(url(incident.number)).data)
    for path in ["comments", "attachments", "timeline"]:
        seen += str(requester_api.get(url(incident.number, path)).data)
    assert "bad config" not in seen and "dump.txt" not in seen and "internal time note" not in seen


def test_children_of_other_requesters_are_hidden(agent_api, requester_api, incident, make_incident, other_requester):
    mine = make_incident(title="also mine")
    theirs = make_incident(requester=other_requester)
    for child in (mine, theirs):
        agent_api.post(url(child.number, "parent"), {"parent": incident.number}, format="json")
    assert requester_api.get(url(incident.number)).data["children"] == [mine.number]
    assert agent_api.get(url(incident.number)).data["children"] == [mine.number, theirs.number]
