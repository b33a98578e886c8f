"""A ticket page's body comes from the cache while nothing it shows has changed, and never otherwise."""

import re
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from accounts.models import User
from incidents import services
from servicedesk import page_cache

pytestmark = pytest.mark.django_db


def detail_url(ticket) -> str:
    return reverse("desk-incidents:detail", args=[ticket.number])


def body_rendered(response) -> bool:
    return "desk/incidents/_page_body.html" in [t.name for t in response.templates]


def test_second_view_serves_the_kept_body(agent_client, in_progress):
    first = agent_client.get(detail_url(in_progress))
    second = agent_client.get(detail_url(in_progress))
    assert body_rendered(first) and not body_rendered(second)
    assert second.status_code == 200
    html = second.content.decode()
    assert in_progress.title in html and 'id="sla"' in html  # the SLA card is put in for each request
    assert page_cache.CSRF_PLACEHOLDER not in html and str(page_cache.PANELS_PLACEHOLDER) not in html


def test_a_new_reply_shows_at_once(agent_client, in_progress, agent):
    agent_client.get(detail_url(in_progress))
    services.incident_comment(ticket=in_progress, actor=agent, body="Restarted the relay", public=True)
    response = agent_client.get(detail_url(in_progress))
    assert body_rendered(response)
    assert "Restarted the relay" in response.content.decode()


def test_a_renamed_team_member_shows_in_the_picker(agent_client, in_progress, lead):
    agent_client.get(detail_url(in_progress))
    # A write that does not touch the ticket: the page's rows still change, so does its key.
    User.objects.filter(pk=lead.pk).update(first_name="Lenora")
    response = agent_client.get(detail_url(in_progress))
    assert "Lenora" in response.content.decode()


def test_each_viewer_gets_their_own_actions(client, in_progress, agent, other_agent, team):
    services.incident_assign(ticket=in_progress, actor=agent, team=team, assignee=agent)
    assign_to_me = reverse("desk-incidents:assign_to_me", args=[in_progress.number])
    client.force_login(agent)
    client.get(detail_url(in_progress))
    assert assign_to_me not in client.get(detail_url(in_progress)).content.decode()  # already theirs
    other = Client()
    other.force_login(other_agent)
    other.get(detail_url(in_progress))
    assert assign_to_me in other.get(detail_url(in_progress)).content.decode()


def test_the_kept_body_carries_this_sessions_csrf_token(in_progress, agent):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    browser.get(detail_url(in_progress))
    html = browser.get(detail_url(in_progress)).content.decode()
    form = html[html.index(reverse("desk-incidents:comment", args=[in_progress.number])):]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    response = browser.post(reverse("desk-incidents:comment", args=[in_progress.number]),
                            {"csrfmiddlewaretoken": token, "c-body": "From a cached page", "c-visibility": "public"})
    assert response.status_code == 302
    assert "From a cached page" in browser.get(detail_url(in_progress)).content.decode()


def test_a_new_language_is_a_new_body(agent_client, in_progress, agent):
    assert "Timeline" in agent_client.get(detail_url(in_progress)).content.decode()
    agent.language = "ko"
    agent.save(update_fields=["language"])
    korean = agent_client.get(detail_url(in_progress))
    assert korean.status_code == 200 and "타임라인" in korean.content.decode()


def test_the_page_works_without_a_cache(agent_client, in_progress):
    with mock.patch.object(cache, "get", side_effect=ConnectionError), \
         mock.patch.object(cache, "set", side_effect=ConnectionError):
        page_cache.clear_local()
        response = agent_client.get(detail_url(in_progress))
    assert response.status_code == 200 and in_progress.title in response.content.decode()


def test_submitted_forms_are_never_kept(agent_client, in_progress):
    url = reverse("desk-incidents:comment", args=[in_progress.number])
    response = agent_client.post(url, {"c-body": "", "c-visibility": "public"})
    assert response.status_code == 400
    assert body_rendered(agent_client.get(detail_url(in_progress)))  # the error page was not kept


def queue_url(**params) -> str:
    return reverse("desk:queue") + "?" + "&".join(f"{k}={v}" for k, v in {"queue": "all", **params}.items())


def test_the_queue_page_is_kept_until_a_ticket_on_it_changes(agent_client, in_progress, agent):
    first = agent_client.get(queue_url())
    second = agent_client.get(queue_url())
    assert "desk/queue.html" in [t.name for t in first.templates]
    assert "desk/queue.html" not in [t.name for t in second.templates]  # served as kept
    assert in_progress.number.encode() in second.content
    assert page_cache.CSRF_PLACEHOLDER.encode() not in second.content
    services.incident_update(ticket=in_progress, actor=agent, expected_version=in_progress.version,
                             title="Mail is down")
    third = agent_client.get(queue_url())
    assert b"Mail is down" in third.content


def test_each_filter_and_person_has_their_own_queue_page(client, in_progress, agent, other_agent):
    client.force_login(agent)
    mine = client.get(queue_url(queue="mine")).content
    client.force_login(other_agent)
    other = client.get(queue_url(queue="mine")).content
    assert agent.display_name.encode() in mine and other_agent.display_name.encode() in other
    assert client.get(queue_url(q="zzzznothing")).content != client.get(queue_url()).content


def test_a_page_with_messages_waiting_is_not_kept(agent_client, in_progress):
    agent_client.get(detail_url(in_progress))
    agent_client.get(detail_url(in_progress))  # kept
    # A form whose hidden fields are wrong: nothing changes, a message waits for the next page.
    response = agent_client.post(reverse("desk-incidents:transition", args=[in_progress.number]),
                                 {"version": "junk", "to": "on_hold"})
    assert response.status_code == 302
    shown = agent_client.get(detail_url(in_progress)).content.decode()
    assert "The page was out of date" in shown
    assert "The page was out of date" not in agent_client.get(detail_url(in_progress)).content.decode()
