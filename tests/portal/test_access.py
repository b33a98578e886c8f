"""Who may use the portal: anonymous people sign in first; nobody reaches another requester's ticket."""

import pytest
from django.urls import reverse

from incidents.choices import IncidentState
from servicedesk.models import Comment, Ticket

pytestmark = pytest.mark.django_db

ACTIONS = ["ticket_reply", "ticket_confirm", "ticket_reopen", "ticket_cancel"]


@pytest.fixture
def ticket(make_incident):
    return make_incident(title="Printer on fire")


def test_anonymous_is_sent_to_log_in_from_every_page(client, ticket):
    pages = [reverse("portal:home"), reverse("portal:report"), reverse("portal:my_tickets"),
             reverse("portal:ticket_detail", args=[ticket.number])]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response.url == f"{reverse('login')}?next={url}"
    for name in ACTIONS:
        url = reverse(f"portal:{name}", args=[ticket.number])
        response = client.post(url, {"body": "hi", "version": ticket.version, "explanation": "x"})
        assert response.status_code == 302 and response.url.startswith(reverse("login")), name
    assert not Comment.objects.exists()


def test_other_requester_gets_404_on_every_ticket_url(client, other_requester, ticket, resolve):
    client.force_login(other_requester)
    assert client.get(reverse("portal:ticket_detail", args=[ticket.number])).status_code == 404
    for name in ACTIONS:
        url = reverse(f"portal:{name}", args=[ticket.number])
        response = client.post(url, {"body": "mine now", "version": ticket.version, "explanation": "broken"})
        assert response.status_code == 404, name
    resolve(ticket)
    for name in ["ticket_confirm", "ticket_reopen"]:
        url = reverse(f"portal:{name}", args=[ticket.number])
        assert client.post(url, {"version": 3, "explanation": "broken"}).status_code == 404
    ticket.refresh_from_db()
    assert ticket.state == IncidentState.RESOLVED
    assert not Comment.objects.filter(author=other_requester).exists()


def test_other_requester_does_not_see_the_ticket_in_lists(client, other_requester, ticket):
    client.force_login(other_requester)
    link = reverse("portal:ticket_detail", args=[ticket.number])
    assert link not in client.get(reverse("portal:my_tickets")).content.decode()
    assert link not in client.get(reverse("portal:home")).content.decode()
    search = client.get(reverse("portal:my_tickets"), {"q": ticket.number}).content.decode()
    assert link not in search and "No tickets match your search" in search


@pytest.mark.parametrize("number", ["INC%00", "x" * 300, "../etc", "INC-1", "1234567"])
def test_malformed_numbers_are_404(portal, number):
    assert portal.get(f"/portal/tickets/{number}/").status_code == 404


def test_actions_only_accept_post(portal, ticket):
    for name in ACTIONS:
        assert portal.get(reverse(f"portal:{name}", args=[ticket.number])).status_code == 405


def test_agent_may_use_the_portal_and_sees_only_their_own_tickets(client, agent, ticket, make_incident):
    own = make_incident(requester=agent, title="My laptop is slow")
    client.force_login(agent)
    listing = client.get(reverse("portal:my_tickets")).content.decode()
    assert own.number in listing and ticket.number not in listing
    assert client.get(reverse("portal:report")).status_code == 200
    assert client.get(reverse("portal:ticket_detail", args=[own.number])).status_code == 200


def test_every_form_carries_a_csrf_token(portal, ticket, resolve):
    resolve(ticket)
    page = portal.get(reverse("portal:ticket_detail", args=[ticket.number])).content.decode()
    assert page.count('name="csrfmiddlewaretoken"') == page.count("<form")
    report = portal.get(reverse("portal:report")).content.decode()
    assert report.count('name="csrfmiddlewaretoken"') == report.count('method="post"')


def test_csrf_is_enforced(requester, ticket):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(requester)
    response = client.post(reverse("portal:ticket_reply", args=[ticket.number]), {"body": "hello"})
    assert response.status_code == 403
    assert not Comment.objects.exists()


# --- Log-in and log-out ---------------------------------------------------------------------


def test_login_page_renders(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()


@pytest.mark.parametrize("who, landing", [("requester", "portal:home"), ("agent", "desk:queue")])
def test_login_sends_people_to_their_surface(client, request, who, landing):
    user = request.getfixturevalue(who)
    response = client.post(reverse("login"), {"username": user.username, "password": "password"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse(landing)


def test_login_honours_next(client, requester, ticket):
    target = reverse("portal:ticket_detail", args=[ticket.number])
    response = client.post(reverse("login"), {"username": "alice", "password": "password", "next": target})
    assert response.status_code == 302 and response.url == target


def test_login_refuses_an_outside_next(client, requester):
    response = client.post(reverse("login"), {"username": "alice", "password": "password",
                                              "next": "https://evil.example/steal"})
    assert response.status_code == 302 and "evil.example" not in response.url


def test_wrong_password_is_a_form_error(client, requester):
    response = client.post(reverse("login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "alert-danger" in response.content.decode()


def test_logout_is_a_post_form_in_the_menu(portal):
    page = portal.get(reverse("portal:home")).content.decode()
    assert f'action="{reverse("logout")}"' in page
    response = portal.post(reverse("logout"))
    assert response.status_code == 302
    assert portal.get(reverse("portal:home")).status_code == 302


def test_ticket_numbers_are_not_case_sensitive(portal, ticket):
    assert portal.get(reverse("portal:ticket_detail", args=[ticket.number.lower()])).status_code == 200


def test_non_incident_numbers_are_404_for_now(portal, requester):
    assert not Ticket.objects.filter(number="REQ0000001").exists()
    assert portal.get(reverse("portal:ticket_detail", args=["REQ0000001"])).status_code == 404
