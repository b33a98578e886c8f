"""Deny by default: every console page and action refuses anonymous people and requesters
(who are sent to the portal, changing nothing)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

NUMBER_ROUTES = ["detail", "timeline", "ci_search"]
NUMBER_ACTIONS = ["edit", "transition", "assign", "assign_to_me", "escalate", "major", "parent", "merge",
                  "comment", "ci_link", "ci_unlink"]


def pages(number):
    return [
        reverse("desk:queue"),
        reverse("desk:ticket_detail", args=[number]),
        reverse("desk:user_lookup") + "?q=al",
        reverse("desk:team_members") + "?team=1",
        reverse("desk-incidents:create"),
        *[reverse(f"desk-incidents:{name}", args=[number]) for name in NUMBER_ROUTES],
    ]


def actions(number):
    return [reverse("desk-incidents:create"),
            *[reverse(f"desk-incidents:{name}", args=[number]) for name in NUMBER_ACTIONS]]


def test_anonymous_is_sent_to_log_in(client, incident):
    for url in pages(incident.number):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    for url in actions(incident.number):
        response = client.post(url, {})
        assert response.status_code == 302 and response["Location"].startswith(reverse("login")), url


def test_anonymous_htmx_request_is_redirected_by_htmx(client, incident):
    response = client.get(reverse("desk-incidents:timeline", args=[incident.number]), HTTP_HX_REQUEST="true")
    assert response["HX-Redirect"].startswith(reverse("login"))


def test_requester_is_sent_to_the_portal_even_from_their_own_ticket(requester_client, incident):
    portal = reverse("portal:home")
    for url in pages(incident.number):
        response = requester_client.get(url)
        assert response.status_code == 302 and response["Location"] == portal, url
    for url in actions(incident.number):
        response = requester_client.post(url, {})
        assert response.status_code == 302 and response["Location"] == portal, url
    incident.refresh_from_db()
    assert incident.version == 1


def test_agent_may_use_every_page(agent_client, incident):
    for url in pages(incident.number):
        response = agent_client.get(url)
        assert response.status_code in (200, 302), url
    assert agent_client.get(reverse("desk-incidents:detail", args=[incident.number])).status_code == 200


def test_agent_posting_empty_forms_gets_form_errors_not_500(agent_client, incident):
    for url in actions(incident.number):
        # Declaring a major incident is the team lead's: refused before the form is read.
        expected = (403,) if url.endswith("/major/") else (302, 400)
        assert agent_client.post(url, {}).status_code in expected, url


def test_unknown_numbers_are_404(agent_client):
    assert agent_client.get(reverse("desk:ticket_detail", args=["INC9999999"])).status_code == 404
    assert agent_client.get(reverse("desk-incidents:detail", args=["INC9999999"])).status_code == 404
    assert agent_client.post(reverse("desk-incidents:assign", args=["nonsense"]), {}).status_code == 404


def test_get_on_an_action_is_refused(agent_client, incident):
    assert agent_client.get(reverse("desk-incidents:assign", args=[incident.number])).status_code == 405


def test_desk_navbar_has_logout_form_and_staff_links(agent_client, agent):
    html = agent_client.get(reverse("desk:queue")).content.decode()
    assert f'action="{reverse("logout")}"' in html and 'method="post"' in html
    assert reverse("admin:index") not in html
    agent.is_staff = True
    agent.save()
    assert reverse("admin:index") in agent_client.get(reverse("desk:queue")).content.decode()
