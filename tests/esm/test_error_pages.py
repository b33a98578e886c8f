"""Styled 403, 404 and 500 pages in the look of the console, the portal or the admin, in both languages."""

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from accounts import roles
from accounts.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_404_in_the_console_has_the_console_look_and_a_way_home(client, agent):
    client.force_login(agent)
    response = client.get("/desk/incidents/INC9999999/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html and "ESM Desk" in html and "esm-desk" in html
    assert f'href="{reverse("desk:queue")}"' in html and "Back to the start page" in html


def test_404_on_the_portal_has_the_portal_look(client, requester):
    client.force_login(requester)
    response = client.get("/portal/tickets/INC9999999/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "ESM Service Portal" in html and f'href="{reverse("portal:home")}"' in html
    assert "ESM Desk" not in html


def test_404_for_anonymous_people_in_korean(client):
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="ko")
    html = response.content.decode()
    assert response.status_code == 404
    assert "페이지를 찾을 수 없습니다" in html and 'lang="ko"' in html


def test_403_in_the_console_in_english_and_korean(client, agent):
    client.force_login(agent)  # reads the CMDB, may not edit it
    response = client.get(reverse("desk-cmdb:create"))
    html = response.content.decode()
    assert response.status_code == 403
    assert "You are not allowed to do this" in html and "esm-desk" in html
    agent.language = "ko"
    agent.save()
    html = client.get(reverse("desk-cmdb:create")).content.decode()
    assert "이 작업을 할 권한이 없습니다" in html and "처음 화면으로" in html


def test_admin_404_extends_the_admin_look(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    response = client.get("/admin/no-such-app/")
    html = response.content.decode()
    assert response.status_code == 404
    assert 'id="site-name"' in html and "Page not found" in html and f'href="{reverse("admin:index")}"' in html


@override_settings(ROOT_URLCONF="tests.esm.boom_urls")
@pytest.mark.parametrize(("path", "look", "home"), [("/desk/boom/", "ESM Desk", "desk:queue"),
                                                    ("/portal/boom/", "ESM Service Portal", "portal:home")])
def test_500_is_styled_static_and_needs_no_session(agent, path, look, home, django_assert_num_queries):
    client = Client(raise_request_exception=False)
    client.force_login(agent)
    response = client.get(path)
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in html and look in html and f'href="{reverse(home)}"' in html
    assert agent.username not in html  # no user menu: rendered without the request's context


@override_settings(ROOT_URLCONF="tests.esm.boom_urls")
def test_500_in_korean(requester):
    requester.language = "ko"
    requester.save()
    client = Client(raise_request_exception=False)
    client.force_login(requester)
    html = client.get("/portal/boom/").content.decode()
    assert "문제가 발생했습니다" in html


def test_500_renders_without_any_database_query(rf, django_assert_num_queries):
    from django.utils import translation

    from esm.views import server_error

    with django_assert_num_queries(0), translation.override("en"):
        response = server_error(rf.get("/desk/incidents/"))
    assert response.status_code == 500 and "ESM Desk" in response.content.decode()


def test_requester_opening_the_console_lands_on_the_portal_with_a_message(client, requester):
    client.force_login(requester)
    response = client.get("/desk/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:home")
    assert "The service desk console is for support staff" in response.content.decode()
    htmx = client.get(reverse("desk-sla:breaching"), HTTP_HX_REQUEST="true")
    assert htmx["HX-Redirect"] == reverse("portal:home")


# --- Where each role lands ------------------------------------------------------------------


@pytest.mark.parametrize(("role", "landing"), [
    (roles.CONFIGURATION_MANAGER, "/desk/cmdb/"),
    (roles.SERVICE_LEVEL_MANAGER, "/desk/?queue=breaching"),
    (roles.CHANGE_MANAGER, "/desk/changes/"),
    (roles.AGENT, "/desk/"),
    (roles.TEAM_LEAD, "/desk/"),
    (roles.ADMINISTRATOR, "/desk/"),
    (roles.REQUESTER, "/portal/"),
])
def test_each_role_lands_where_its_work_is(client, role, landing):
    user = UserFactory(username="person", roles=[role])
    user.set_password("pw-12345-long")
    user.save()
    response = client.post(reverse("login"), {"username": "person", "password": "pw-12345-long"})
    assert response["Location"] == reverse("home")
    assert client.get(reverse("home"))["Location"] == landing
    console = client.get("/desk/")
    if landing == "/desk/":
        assert console.status_code == 200 and console.context["queue"] == "mine"
    else:
        assert console["Location"] == (landing if landing != "/portal/" else reverse("portal:home"))


def test_console_root_with_a_queue_chosen_is_not_redirected(client):
    client.force_login(UserFactory(roles=[roles.SERVICE_LEVEL_MANAGER]))
    assert client.get("/desk/?queue=mine").status_code == 200
