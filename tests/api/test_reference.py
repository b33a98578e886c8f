"""Tokens and the read-only reference lists: teams, categories, services, users."""

import pytest

from accounts import roles
from accounts.factories import TeamFactory, UserFactory
from cmdb.factories import ServiceFactory
from servicedesk.factories import CategoryFactory

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"


# --- Tokens ---------------------------------------------------------------------------------


def test_token_for_username_and_password(anonymous_api, api, requester):
    response = anonymous_api.post(TOKEN, {"username": "alice", "password": "password"}, format="json")
    assert response.status_code == 200
    token = response.data["token"]
    assert anonymous_api.post(TOKEN, {"username": "alice", "password": "password"}).data["token"] == token
    client = api(None)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/users/").data["results"][0]["username"] == "alice"


@pytest.mark.parametrize("payload", [
    {"username": "alice", "password": "wrong"},
    {"username": "nobody", "password": "password"},
    {"username": "alice"},
    {"username": "ali\x00ce", "password": "password"},
    {"username": ["alice"], "password": "password"},
    {},
])
def test_token_refused(anonymous_api, requester, payload):
    response = anonymous_api.post(TOKEN, payload, format="json")
    assert response.status_code == 400
    assert "token" not in response.data


def test_token_refused_for_disabled_account(anonymous_api, requester):
    requester.is_active = False
    requester.save()
    assert anonymous_api.post(TOKEN, {"username": "alice", "password": "password"}).status_code == 400


def test_token_guessing_is_throttled_per_address(anonymous_api, requester, settings):
    settings.LOGIN_FAILURE_LIMIT = settings.LOGIN_ADDRESS_FAILURE_LIMIT = 100  # the rate throttle alone
    wrong = {"username": "alice", "password": "guess"}
    answers = [anonymous_api.post(TOKEN, wrong, format="json").status_code for _ in range(10)]
    assert answers == [400] * 10
    refused = anonymous_api.post(TOKEN, {"username": "alice", "password": "password"}, format="json")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert refused.data["code"] == "throttled" and "token" not in refused.data
    other_address = anonymous_api.post(TOKEN, {"username": "alice", "password": "password"}, format="json",
                                       REMOTE_ADDR="10.1.2.3")
    assert other_address.status_code == 200


def test_token_of_disabled_account_is_refused(api, requester):
    client = api(requester)
    assert client.get("/api/v1/users/").status_code == 200
    requester.is_active = False
    requester.save()
    response = client.get("/api/v1/users/")
    assert response.status_code == 401 and response.data["code"] == "authentication_failed"


@pytest.mark.parametrize("key", ["0" * 40, "x" * 41, "ab\x00cd", "' OR 1=1 --"])
def test_unknown_or_malformed_token_is_refused(anonymous_api, requester, key):
    anonymous_api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = anonymous_api.get("/api/v1/users/")
    assert response.status_code == 401 and response.data["code"] == "authentication_failed"


def test_token_carries_the_persons_permissions(api, requester, agent, team, django_assert_num_queries):
    # Person and permissions come in the one authentication query: an agent's list needs no
    # separate permission query, and a requester still gets only what a requester may do.
    from accounts.authentication import TokenAuthentication
    from accounts.roles import can_work_tickets

    token = api(agent)._credentials["HTTP_AUTHORIZATION"].split()[1]
    with django_assert_num_queries(1):
        user, auth = TokenAuthentication().authenticate_credentials(token)
        assert can_work_tickets(user) and auth.user == agent and auth.key == token
    requester_token = api(requester)._credentials["HTTP_AUTHORIZATION"].split()[1]
    user, _auth = TokenAuthentication().authenticate_credentials(requester_token)
    assert not can_work_tickets(user) and user == requester
    assert api(requester).get("/api/v1/teams/").status_code == 200
    assert api(requester).get(f"/api/v1/users/{agent.pk}/").status_code in (403, 404)


def test_token_endpoint_is_post_only(anonymous_api):
    assert anonymous_api.get(TOKEN).status_code == 405


# --- Teams ----------------------------------------------------------------------------------


def test_teams_show_members_to_agents_only(agent_api, requester_api, team, other_team, agent, lead):
    rows = agent_api.get("/api/v1/teams/").data["results"]
    assert [r["name"] for r in rows] == ["Network", "Service Desk"]
    desk = rows[1]
    assert desk["members"] == sorted([agent.pk, lead.pk]) and desk["lead"]["id"] == lead.pk
    assert all(r["members"] is None for r in requester_api.get("/api/v1/teams/").data["results"])
    assert requester_api.get(f"/api/v1/teams/{team.pk}/").data["members"] is None
    assert agent_api.get(f"/api/v1/teams/{team.pk}/").data["name"] == "Service Desk"
    assert agent_api.get("/api/v1/teams/", {"q": "net"}).data["results"][0]["name"] == "Network"


def test_team_lookup_errors(agent_api):
    assert agent_api.get("/api/v1/teams/999999/").status_code == 404
    assert agent_api.get(f"/api/v1/teams/{10**30}/").status_code == 404
    assert agent_api.get("/api/v1/teams/abc/").status_code == 404


def test_reference_data_is_read_only(agent_api, team):
    assert agent_api.post("/api/v1/teams/", {"name": "New"}, format="json").status_code == 405
    assert agent_api.patch(f"/api/v1/teams/{team.pk}/", {"name": "x"}, format="json").status_code == 405
    assert agent_api.delete(f"/api/v1/teams/{team.pk}/").status_code == 405


# --- Categories and services ----------------------------------------------------------------


def test_categories_with_parent(requester_api):
    hardware = CategoryFactory(name="Test gear")
    laptop = CategoryFactory(name="Test laptop", parent=hardware)
    rows = requester_api.get("/api/v1/categories/", {"q": "test"}).data["results"]
    names = {r["name"]: r for r in rows}
    assert names["Test laptop"]["parent"] == hardware.pk
    assert names["Test laptop"]["full_name"] == "Test gear / Test laptop"
    children = requester_api.get("/api/v1/categories/", {"parent_id": hardware.pk}).data["results"]
    assert [r["id"] for r in children] == [laptop.pk]
    top = {r["id"] for r in requester_api.get("/api/v1/categories/", {"top_level": "true", "page_size": 500})
           .data["results"]}
    assert hardware.pk in top and laptop.pk not in top


def test_services_are_business_service_cis(requester_api, service, ci, team, agent):
    ServiceFactory(name="Payroll", owner=agent, criticality=1)
    rows = requester_api.get("/api/v1/services/").data["results"]
    assert [r["name"] for r in rows] == ["E-mail", "Payroll"], "plain CIs are not services"
    email = rows[0]
    assert email["support_team"] == {"id": team.pk, "name": team.name}
    assert rows[1]["owner"]["id"] == agent.pk and rows[1]["criticality"] == 1
    assert requester_api.get(f"/api/v1/services/{ci.pk}/").status_code == 404
    assert [r["name"] for r in requester_api.get("/api/v1/services/", {"q": "pay"}).data["results"]] == ["Payroll"]


# --- Users ----------------------------------------------------------------------------------


def test_agents_see_active_users_requesters_only_themselves(agent_api, requester_api, requester, agent, team,
                                                            other_requester):
    UserFactory(username="gone", is_active=False)
    usernames = {r["username"] for r in agent_api.get("/api/v1/users/", {"page_size": 500}).data["results"]}
    assert {"alice", "bob", "agent", "lead"} <= usernames and "gone" not in usernames
    mine = requester_api.get("/api/v1/users/").data["results"]
    assert [r["username"] for r in mine] == ["alice"]
    assert mine[0]["organisation"]["name"] == "Finance" and mine[0]["is_agent"] is False
    assert requester_api.get(f"/api/v1/users/{other_requester.pk}/").status_code == 404
    assert requester_api.get(f"/api/v1/users/{requester.pk}/").status_code == 200


def test_user_filters(agent_api, team, agent, lead):
    admin = UserFactory(username="root", is_superuser=True)
    members = agent_api.get("/api/v1/users/", {"team_id": team.pk}).data["results"]
    assert {r["username"] for r in members} == {"agent", "lead"}
    assert all(r["is_agent"] for r in members)
    assert [r["username"] for r in agent_api.get("/api/v1/users/", {"q": "lena"}).data["results"]] == ["lead"]
    assert agent_api.get(f"/api/v1/users/{admin.pk}/").data["is_agent"] is True
    by_username = agent_api.get("/api/v1/users/", {"ordering": "username"}).data["results"]
    assert [r["username"] for r in by_username] == sorted(r["username"] for r in by_username)


def test_reference_lists_paginate_by_name(agent_api):
    for i in range(7):
        TeamFactory(name=f"Team {i:02d}")
        UserFactory(username=f"u{i}", first_name="Same", last_name="Name", roles=[roles.REQUESTER])
    for path in ["/api/v1/teams/", "/api/v1/users/"]:
        seen, link = [], f"{path}?page_size=3"
        while link:
            body = agent_api.get(link).data
            seen += [r["id"] for r in body["results"]]
            link = body["next"]
        everything = [r["id"] for r in agent_api.get(path, {"page_size": 500}).data["results"]]
        assert seen == everything and len(set(seen)) == len(seen) >= 7
