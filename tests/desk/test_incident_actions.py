"""Every action on the incident page: a normal POST form (redirect after success), errors shown, never a 500."""

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.factories import UserFactory
from incidents import services
from incidents.choices import IncidentState
from servicedesk.models import Attachment, Comment, Notification, Ticket, TicketCI, TimeEntry

from .conftest import post_versioned

pytestmark = pytest.mark.django_db


def url(name, ticket):
    return reverse(f"desk-incidents:{name}", args=[ticket.number])


def detail(ticket):
    return reverse("desk-incidents:detail", args=[ticket.number])


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def fresh(ticket) -> Ticket:
    return Ticket.objects.select_related("incident").get(pk=ticket.pk)


# --- Editing fields and optimistic locking ----------------------------------------------------

def edit_data(ticket, **changes):
    incident = ticket.incident
    data = {"version": ticket.version, "title": ticket.title, "description": ticket.description,
            "impact": incident.impact, "urgency": incident.urgency, "category": ticket.category_id or "",
            "service": ticket.service_id or "", "channel": incident.channel}
    data.update(changes)
    return {f"edit-{k}": v for k, v in data.items()}


def test_edit_fields(agent_client, incident, category):
    ticket = fresh(incident)
    response = agent_client.post(url("edit", ticket), edit_data(ticket, title="Mail is down", impact=1, urgency=1,
                                                                category=category.pk, channel="phone"))
    assert response.status_code == 302 and response["Location"] == detail(ticket)
    ticket = fresh(ticket)
    assert ticket.title == "Mail is down" and ticket.priority == 1 and ticket.category == category
    assert ticket.incident.channel == "phone"


def test_stale_edit_is_refused_and_keeps_the_agents_input(agent_client, incident, other_agent):
    seen = fresh(incident)
    services.incident_update(ticket=seen, actor=other_agent, title="Changed by Eve")
    response = agent_client.post(url("edit", seen), edit_data(seen, title="My better title", urgency=1))
    assert response.status_code == 409
    html = response.content.decode()
    assert "changed by someone else since you opened it" in html
    assert 'value="My better title"' in html, "the agent's input is kept"
    ticket = fresh(incident)
    assert ticket.title == "Changed by Eve" and ticket.incident.urgency == 2, "nothing overwritten"
    # The form now carries the current version: saving again is a deliberate overwrite.
    assert f'name="edit-version" value="{ticket.version}"' in html


def test_edit_validation_errors_are_shown(agent_client, incident):
    ticket = fresh(incident)
    response = agent_client.post(url("edit", ticket), edit_data(ticket, title="", impact=9))
    assert response.status_code == 400
    assert fresh(ticket).title == "Mail is slow"
    assert "This field is required." in response.content.decode()


def test_editing_a_resolved_incident_is_refused_with_a_message(agent_client, incident, agent):
    services.incident_transition(ticket=incident, actor=agent, to=IncidentState.RESOLVED,
                                 resolution_code="solved_permanently", resolution_notes="x")
    ticket = fresh(incident)
    response = agent_client.post(url("edit", ticket), edit_data(ticket, title="New"))
    assert response.status_code == 302
    assert any("reopen it before editing" in m for m in flashed(response))


# --- Transitions --------------------------------------------------------------------------------

def test_start_work(agent_client, incident):
    response = post_versioned(agent_client, url("transition", incident), incident, {"to": "in_progress"})
    assert response.status_code == 302
    assert fresh(incident).state == IncidentState.IN_PROGRESS


def test_resolve_without_notes_is_a_form_error_and_changes_nothing(agent_client, in_progress):
    response = post_versioned(agent_client, url("transition", in_progress), in_progress,
                              {"to": "resolved", "resolution_code": "solved_permanently", "resolution_notes": " "})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required for this step." in html
    assert "<details class=\"esm-pop\" open>" in html, "the resolve form stays open"
    assert fresh(in_progress).state == IncidentState.IN_PROGRESS


def test_resolve(agent_client, in_progress):
    response = post_versioned(agent_client, url("transition", in_progress), in_progress,
                              {"to": "resolved", "resolution_code": "solved_workaround",
                               "resolution_notes": "Restarted the relay."})
    assert response.status_code == 302
    ticket = fresh(in_progress)
    assert ticket.state == IncidentState.RESOLVED
    assert ticket.incident.resolution_notes == "Restarted the relay."


def test_hold_needs_a_reason(agent_client, in_progress):
    response = post_versioned(agent_client, url("transition", in_progress), in_progress, {"to": "on_hold"})
    assert response.status_code == 400
    response = post_versioned(agent_client, url("transition", in_progress), in_progress,
                              {"to": "on_hold", "on_hold_reason": "awaiting_vendor"})
    assert response.status_code == 302
    assert fresh(in_progress).incident.on_hold_reason == "awaiting_vendor"


def test_a_move_the_workflow_forbids_is_a_message(agent_client, incident):
    response = post_versioned(agent_client, url("transition", incident), incident, {"to": "closed"})
    assert response.status_code == 302
    assert any("Allowed now:" in m for m in flashed(response))
    assert fresh(incident).state == IncidentState.NEW


def test_stale_transition_is_refused(agent_client, incident, other_agent):
    version = fresh(incident).version
    services.incident_update(ticket=incident, actor=other_agent, title="Edited meanwhile")
    response = agent_client.post(url("transition", incident), {"version": version, "to": "in_progress"})
    assert response.status_code == 302
    assert any("changed by someone else since you opened it" in m for m in flashed(response))
    assert fresh(incident).state == IncidentState.NEW


# --- Assignment and escalation ------------------------------------------------------------------

def test_assign_team_and_member(agent_client, incident, other_team, other_agent):
    response = post_versioned(agent_client, url("assign", incident), incident,
                              {"assign-team": other_team.pk, "assign-assignee": other_agent.pk}, prefix="assign")
    assert response.status_code == 302
    ticket = fresh(incident)
    assert ticket.team == other_team and ticket.assignee == other_agent


def test_assignee_must_belong_to_the_team(agent_client, incident, other_team, agent):
    response = post_versioned(agent_client, url("assign", incident), incident,
                              {"assign-team": other_team.pk, "assign-assignee": agent.pk}, prefix="assign")
    assert response.status_code == 400
    assert "is not a member of Network" in response.content.decode()
    assert fresh(incident).assignee is None


def test_assign_to_me(agent_client, incident, agent, team):
    response = post_versioned(agent_client, url("assign_to_me", incident), incident, prefix="me")
    assert response.status_code == 302
    ticket = fresh(incident)
    assert ticket.assignee == agent and ticket.team == team


def test_assign_to_me_without_a_team_is_a_message(client, incident):
    loner = UserFactory(username="loner", roles=["Agent"])
    client.force_login(loner)
    response = post_versioned(client, url("assign_to_me", incident), incident, prefix="me")
    assert response.status_code == 302
    assert any("not a member of any team" in m for m in flashed(response))


def test_functional_escalation(agent_client, incident, other_team):
    response = post_versioned(agent_client, url("escalate", incident), incident,
                              {"esc-level": "functional", "esc-team": other_team.pk, "esc-reason": "Network issue"},
                              prefix="esc")
    assert response.status_code == 302
    assert fresh(incident).team == other_team


def test_escalation_needs_a_reason(agent_client, incident, other_team):
    response = post_versioned(agent_client, url("escalate", incident), incident,
                              {"esc-level": "functional", "esc-team": other_team.pk, "esc-reason": ""}, prefix="esc")
    assert response.status_code == 400
    assert fresh(incident).team.name == "Service Desk"


def test_hierarchical_escalation_notifies_the_lead(agent_client, incident, lead):
    response = post_versioned(agent_client, url("escalate", incident), incident,
                              {"lead-level": "hierarchical", "lead-reason": "Customer is the CEO"}, prefix="lead")
    assert response.status_code == 302
    assert Notification.objects.filter(ticket=incident, reason="escalated", recipient=lead).exists()


# --- Major, parent, merge ---------------------------------------------------------------------

def test_major_only_for_p1(client, lead, incident, make_incident):
    client.force_login(lead)
    response = post_versioned(client, url("major", incident), incident, {"major-major": "1"}, prefix="major")
    assert response.status_code == 302
    assert any("Only P1" in m for m in flashed(response))
    assert not fresh(incident).incident.major
    p1 = make_incident(impact=1, urgency=1)
    assert "Declare major incident" in client.get(detail(p1)).content.decode()
    post_versioned(client, url("major", p1), p1, {"major-major": "1"}, prefix="major")
    assert fresh(p1).incident.major
    post_versioned(client, url("major", p1), p1, {"major-major": "0"}, prefix="major")
    assert not fresh(p1).incident.major


def test_an_agent_neither_sees_nor_uses_the_major_incident_button(agent_client, make_incident, lead):
    p1 = make_incident(impact=1, urgency=1)
    html = agent_client.get(detail(p1)).content.decode()
    assert "Declare major incident" not in html and url("major", p1) not in html
    response = post_versioned(agent_client, url("major", p1), p1, {"major-major": "1"}, prefix="major")
    assert response.status_code == 403 and not fresh(p1).incident.major
    services.incident_set_major(ticket=p1, actor=lead, major=True)
    assert "Clear the major-incident flag" not in agent_client.get(detail(p1)).content.decode()


def test_set_and_clear_parent(agent_client, incident, make_incident):
    parent = make_incident(title="Outage")
    response = post_versioned(agent_client, url("parent", incident), incident,
                              {"parent-parent": parent.number.lower()}, prefix="parent")
    assert response.status_code == 302
    assert fresh(incident).parent == parent
    post_versioned(agent_client, url("parent", incident), incident, {"parent-parent": ""}, prefix="parent")
    assert fresh(incident).parent is None


def test_parent_errors_are_form_errors(agent_client, incident):
    response = post_versioned(agent_client, url("parent", incident), incident, {"parent-parent": "INC7777777"},
                              prefix="parent")
    assert response.status_code == 400 and "There is no ticket INC7777777." in response.content.decode()
    response = post_versioned(agent_client, url("parent", incident), incident,
                              {"parent-parent": incident.number}, prefix="parent")
    assert response.status_code == 400 and "cannot be its own parent" in response.content.decode()


def test_merge(agent_client, incident, make_incident):
    survivor = make_incident(title="Original")
    response = post_versioned(agent_client, url("merge", incident), incident, {"merge-into": survivor.number},
                              prefix="merge")
    assert response.status_code == 302
    ticket = fresh(incident)
    assert ticket.state == IncidentState.CLOSED and ticket.incident.merged_into == survivor
    response = post_versioned(agent_client, url("merge", survivor), survivor, {"merge-into": survivor.number},
                              prefix="merge")
    assert response.status_code == 400


# --- Conversation -----------------------------------------------------------------------------

def test_public_reply(agent_client, incident):
    response = agent_client.post(url("comment", incident), {"c-visibility": "public", "c-body": "We are on it."})
    assert response.status_code == 302 and response["Location"].endswith("#timeline")
    comment = Comment.objects.get(ticket=incident)
    assert comment.public and comment.body == "We are on it."
    assert Notification.objects.filter(ticket=incident, reason="public_reply").exists()


def test_work_note_with_time_and_attachment(agent_client, incident, agent):
    upload = SimpleUploadedFile("capture.png", b"\x89PNG....", content_type="image/png")
    response = agent_client.post(url("comment", incident), {"c-visibility": "note", "c-body": "Traced it.",
                                                            "c-minutes": "45", "c-attachments": [upload]})
    assert response.status_code == 302
    comment = Comment.objects.get(ticket=incident)
    assert not comment.public
    entry = TimeEntry.objects.get(ticket=incident)
    assert entry.minutes == 45 and entry.agent == agent and entry.note == comment
    attachment = Attachment.objects.get(ticket=incident)
    assert attachment.comment == comment and not attachment.public


def test_time_with_a_public_reply_is_a_form_error(agent_client, incident):
    response = agent_client.post(url("comment", incident), {"c-visibility": "public", "c-body": "x", "c-minutes": "5"})
    assert response.status_code == 400
    assert not Comment.objects.filter(ticket=incident).exists()


def test_a_bad_attachment_leaves_nothing_behind(agent_client, incident, settings):
    good = SimpleUploadedFile("ok.txt", b"fine")
    bad = SimpleUploadedFile("evil.exe", b"MZ")
    response = agent_client.post(url("comment", incident), {"c-visibility": "note", "c-body": "files",
                                                            "c-attachments": [good, bad]})
    assert response.status_code == 400
    assert "Files of type .exe are not accepted" in response.content.decode()
    assert not Comment.objects.filter(ticket=incident).exists()
    assert not Attachment.objects.filter(ticket=incident).exists()
    media = settings.MEDIA_ROOT
    assert not any(p.is_file() for p in media.rglob("*")) if media.exists() else True


def test_htmx_comment_returns_a_fresh_composer_and_refreshes_the_timeline(agent_client, incident):
    response = agent_client.post(url("comment", incident), {"c-visibility": "note", "c-body": "Quick note"},
                                 HTTP_HX_REQUEST="true", HTTP_HX_TARGET="composer")
    assert response.status_code == 200
    assert response["HX-Trigger"] == "timeline-changed"
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="composer"') and "Quick note" not in html
    # An empty message keeps the form with its error.
    response = agent_client.post(url("comment", incident), {"c-visibility": "note", "c-body": ""},
                                 HTTP_HX_REQUEST="true", HTTP_HX_TARGET="composer")
    assert "HX-Trigger" not in response and "This field is required." in response.content.decode()


# --- Configuration items ----------------------------------------------------------------------

def test_ci_search_link_and_unlink(agent_client, incident, server_ci):
    from cmdb.factories import CIFactory

    CIFactory.create_batch(25, name=factory_names())
    html = agent_client.get(url("ci_search", incident) + "?ci_q=mail-").content.decode()
    assert "mail-relay-" in html
    assert html.count('name="ci"') == 20, "at most 20 results"
    html = agent_client.get(url("ci_search", incident) + "?ci_q=SERVER").content.decode()
    assert "mail-server-01" in html and html.count('name="ci"') == 1
    response = agent_client.post(url("ci_link", incident), {"ci": server_ci.pk})
    assert response.status_code == 302 and response["Location"].endswith("#cis")
    assert TicketCI.objects.filter(ticket=incident, ci=server_ci).exists()
    assert "mail-server-01" not in agent_client.get(url("ci_search", incident) + "?ci_q=server").content.decode(), \
        "linked CIs are not offered again"
    response = agent_client.post(url("ci_unlink", incident), {"ci": server_ci.pk}, HTTP_HX_REQUEST="true",
                                 HTTP_HX_TARGET="ci-panel")
    assert response.status_code == 200 and response["HX-Trigger"] == "timeline-changed"
    assert response.content.decode().lstrip().startswith('<section class="card esm-card" id="ci-panel"')
    assert not TicketCI.objects.filter(ticket=incident).exists()


def test_ci_search_without_javascript_shows_results_on_the_page(agent_client, incident, server_ci):
    html = agent_client.get(reverse("desk-incidents:detail", args=[incident.number]) + "?ci_q=server").content.decode()
    assert "mail-server-01" in html and url("ci_link", incident) in html


def test_ci_link_with_a_bad_id_is_an_error_not_a_500(agent_client, incident):
    response = agent_client.post(url("ci_link", incident), {"ci": "99999999999999999999"})
    assert response.status_code == 302
    assert flashed(response)


def factory_names():
    import factory

    return factory.Sequence(lambda n: f"mail-relay-{n:03d}")


def test_tampered_hidden_fields_are_a_message(agent_client, incident):
    response = agent_client.post(url("transition", incident), {"version": "x", "to": "nowhere"})
    assert response.status_code == 302
    assert any("out of date" in m for m in flashed(response))
    assert fresh(incident).state == IncidentState.NEW


def test_saving_without_changes_writes_nothing(agent_client, incident):
    ticket = fresh(incident)
    response = agent_client.post(url("edit", ticket), edit_data(ticket))
    assert response.status_code == 302
    assert fresh(ticket).version == ticket.version


# --- Watchers -------------------------------------------------------------------------------


def test_watch_add_and_remove_watchers_from_the_incident_page(agent_client, agent, make_incident, requester,
                                                              other_requester):
    from django.test import Client

    ticket = make_incident()
    watchers_url = reverse("desk:ticket_watchers", args=[ticket.number])
    page = agent_client.get(detail(ticket)).content.decode()
    assert 'id="watchers"' in page and "Add a watcher" in page
    response = agent_client.post(watchers_url, {"action": "watch"})
    assert response.status_code == 302 and response["Location"].endswith(detail(ticket) + "#watchers")
    agent_client.post(watchers_url, {"action": "add", "user": other_requester.pk})
    assert set(fresh(ticket).watchers.all()) == {agent, other_requester}
    assert "Stop watching" in agent_client.get(detail(ticket)).content.decode()
    agent_client.post(watchers_url, {"action": "remove", "user": other_requester.pk})
    agent_client.post(watchers_url, {"action": "unwatch"})
    assert not fresh(ticket).watchers.exists()
    response = agent_client.post(watchers_url, {"action": "add", "user": "nobody"}, follow=True)
    assert "Choose a person first." in flashed(response)
    assert agent_client.post(reverse("desk:ticket_watchers", args=["INC9999999"]), {"action": "watch"}
                             ).status_code == 404
    assert agent_client.get(watchers_url).status_code == 405
    requester_client = Client()
    requester_client.force_login(requester)
    response = requester_client.post(watchers_url, {"action": "watch"})
    assert response["Location"] == reverse("portal:home"), "the console is for agents"
