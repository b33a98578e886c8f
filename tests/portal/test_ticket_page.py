"""The portal ticket page: the public conversation only, replies, confirm, reopen and cancel."""

from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from incidents import services
from incidents.choices import IncidentState, OnHoldReason
from servicedesk.models import Attachment, Comment
from servicedesk.services import attachment_add

from .helpers import stored_files, upload

pytestmark = pytest.mark.django_db


def page_of(client, ticket) -> str:
    response = client.get(reverse("portal:ticket_detail", args=[ticket.number]))
    assert response.status_code == 200
    return response.content.decode()


def post(client, name, ticket, data=None, **kwargs):
    return client.post(reverse(f"portal:{name}", args=[ticket.number]), data or {}, **kwargs)


def test_page_shows_the_ticket_in_plain_words(portal, make_incident):
    ticket = make_incident(title="Laptop won't start", description="It **beeps** three times.")
    page = page_of(portal, ticket)
    assert "Laptop won&#x27;t start" in page and ticket.number in page
    assert "Received" in page
    assert "<strong>beeps</strong>" in page
    assert "Cancel this request" in page


@pytest.mark.parametrize("state, reason, label", [
    (IncidentState.IN_PROGRESS, "", "We&#x27;re working on it"),
    (IncidentState.ON_HOLD, OnHoldReason.AWAITING_CALLER, "Waiting for you"),
    (IncidentState.ON_HOLD, OnHoldReason.AWAITING_VENDOR, "On hold"),
])
def test_states_in_plain_words(portal, make_incident, agent, state, reason, label):
    ticket = make_incident()
    services.incident_transition(ticket=ticket, actor=agent, to=state, on_hold_reason=reason)
    assert label in page_of(portal, ticket)


def test_times_are_shown_in_the_viewers_time_zone(portal, requester, make_incident):
    requester.time_zone = "Asia/Seoul"
    requester.save()
    ticket = make_incident()
    page = page_of(portal, ticket)
    assert "Asia/Seoul" in page
    assert ticket.opened_at.astimezone(ZoneInfo("Asia/Seoul")).isoformat()[:16] in page


def test_description_and_messages_cannot_inject_html(portal, make_incident, agent):
    ticket = make_incident(description='<script>alert(1)</script> <img src=x onerror="alert(2)"> [x](javascript:alert(3))')
    services.incident_comment(ticket=ticket, actor=agent, body="<script>alert(4)</script><iframe src=//x>")
    page = page_of(portal, ticket)
    assert "<script>alert" not in page
    assert "onerror" not in page and "<iframe" not in page and "javascript:" not in page


def test_work_notes_and_private_files_never_appear(portal, make_incident, agent, settings):
    ticket = make_incident()
    services.incident_comment(ticket=ticket, actor=agent, body="SECRET-NOTE: the user broke it", public=False)
    attachment_add(ticket=ticket, actor=agent, upload=upload("internal-diagnosis.txt", b"x", "text/plain"),
                   public=False)
    private = Attachment.objects.get(name="internal-diagnosis.txt")
    services.incident_comment(ticket=ticket, actor=agent, body="We are looking into it.")
    page = page_of(portal, ticket)
    assert "SECRET-NOTE" not in page
    assert "internal-diagnosis" not in page
    assert reverse("attachment_download", args=[private.pk, private.name]) not in page
    assert "We are looking into it." in page
    assert portal.get(reverse("attachment_download", args=[private.pk, private.name])).status_code == 404


def test_reply_with_files_appears_in_the_conversation(portal, make_incident, requester, settings):
    ticket = make_incident()
    response = post(portal, "ticket_reply", ticket, {"body": "It happens *every* morning.",
                                                    "attachments": [upload("error.png")]}, follow=True)
    comment = Comment.objects.get(ticket=ticket)
    assert comment.author == requester and comment.public
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.comment == comment and attachment.public
    page = response.content.decode()
    assert "Your reply was sent." in page
    assert "<em>every</em>" in page
    link = reverse("attachment_download", args=[attachment.pk, attachment.name])
    assert page.count(link) == 1, "the file shows once, with its message"
    assert portal.get(link).status_code == 200


def test_agent_messages_are_marked_as_from_the_service_desk(portal, make_incident, agent):
    ticket = make_incident()
    services.incident_comment(ticket=ticket, actor=agent, body="Please restart.")
    page = page_of(portal, ticket)
    assert "message-staff" in page and agent.display_name in page


def test_empty_reply_is_a_form_error(portal, make_incident):
    ticket = make_incident()
    response = post(portal, "ticket_reply", ticket, {"body": "  "})
    assert response.status_code == 200
    assert "Write a message first." in response.content.decode()
    assert not Comment.objects.exists()


def test_reply_with_a_refused_file_saves_nothing(portal, make_incident, settings):
    ticket = make_incident()
    response = post(portal, "ticket_reply", ticket, {"body": "See attached",
                                                    "attachments": [upload("ok.png"), upload("bad.exe", b"MZ")]})
    assert response.status_code == 200
    page = response.content.decode()
    assert "bad.exe: Files of type .exe are not accepted" in page
    assert "See attached" in page, "the message is kept for another try"
    assert not Comment.objects.exists() and not Attachment.objects.exists()
    assert stored_files(settings) == []


def test_reply_on_a_closed_ticket_is_refused(portal, make_incident, requester, resolve):
    ticket = make_incident()
    resolve(ticket)
    services.incident_transition(ticket=ticket, actor=requester, to=IncidentState.CLOSED)
    response = post(portal, "ticket_reply", ticket, {"body": "hello?"}, follow=True)
    assert "This request is closed" in response.content.decode()
    assert not Comment.objects.filter(author=requester).exists()
    assert "Add a reply" not in page_of(portal, ticket)


def test_waiting_for_you_reply_resumes_work(portal, make_incident, agent):
    ticket = make_incident()
    services.incident_transition(ticket=ticket, actor=agent, to=IncidentState.ON_HOLD,
                                 on_hold_reason=OnHoldReason.AWAITING_CALLER)
    post(portal, "ticket_reply", ticket, {"body": "Here is the info."})
    ticket.refresh_from_db()
    assert ticket.state == IncidentState.IN_PROGRESS


# --- Resolved: confirm or reopen -------------------------------------------------------------


def test_resolved_page_offers_confirm_and_reopen(portal, make_incident, resolve):
    ticket = make_incident()
    resolve(ticket, notes="We **replaced** the cable.")
    page = page_of(portal, ticket)
    assert "Solved — please confirm" in page
    assert "We <strong>replaced</strong> the cable." in page
    assert "Yes, it's fixed — close it" in page and "No, it's still broken — reopen" in page
    assert "Cancel this request" not in page


def test_confirm_closes(portal, make_incident, resolve):
    ticket = make_incident()
    ticket = resolve(ticket)
    response = post(portal, "ticket_confirm", ticket, {"version": ticket.version}, follow=True)
    ticket.refresh_from_db()
    assert ticket.state == IncidentState.CLOSED and ticket.closed_at is not None
    page = response.content.decode()
    assert "Thank you for confirming" in page and "Closed" in page
    assert "Confirmed the fix and closed this request." in page
    assert "Yes, it's fixed" not in page


def test_reopen_needs_an_explanation(portal, make_incident, resolve):
    ticket = resolve(make_incident())
    response = post(portal, "ticket_reopen", ticket, {"version": ticket.version, "explanation": ""})
    assert response.status_code == 200
    assert "Please tell us briefly what is still wrong" in response.content.decode()
    assert 'class="collapse show"' in response.content.decode(), "the reopen form stays open"
    ticket.refresh_from_db()
    assert ticket.state == IncidentState.RESOLVED


def test_reopen_with_explanation(portal, make_incident, resolve, requester):
    ticket = resolve(make_incident())
    response = post(portal, "ticket_reopen", ticket, {"version": ticket.version,
                                                     "explanation": "Still no sound from the speaker."}, follow=True)
    ticket.refresh_from_db()
    assert ticket.state == IncidentState.IN_PROGRESS
    assert Comment.objects.get(ticket=ticket, author=requester).body == "Still no sound from the speaker."
    page = response.content.decode()
    assert "We&#x27;ve reopened your request" in page
    assert "Reopened this request." in page
    assert page.count("Still no sound from the speaker.") == 1, "the explanation shows once, as a message"


def test_a_stale_click_changes_nothing(portal, make_incident, resolve, agent):
    ticket = resolve(make_incident())
    seen_version = ticket.version
    services.incident_transition(ticket=ticket, actor=agent, to=IncidentState.IN_PROGRESS, note="Checking again")
    ticket = resolve(ticket)
    response = post(portal, "ticket_confirm", ticket, {"version": seen_version}, follow=True)
    ticket.refresh_from_db()
    assert ticket.state == IncidentState.RESOLVED
    assert "changed while you were looking at it" in response.content.decode()


def test_confirm_on_an_unresolved_ticket_is_a_message_not_an_error(portal, make_incident):
    ticket = make_incident()
    response = post(portal, "ticket_confirm", ticket, {"version": ticket.version}, follow=True)
    assert response.status_code == 200
    assert "isn&#x27;t possible" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.state == IncidentState.NEW


@pytest.mark.parametrize("version", ["", "abc", "99999999999999999999", "-1"])
def test_bad_versions_are_messages_not_errors(portal, make_incident, resolve, version):
    ticket = resolve(make_incident())
    response = post(portal, "ticket_confirm", ticket, {"version": version}, follow=True)
    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.state == IncidentState.RESOLVED


def test_autoclose_shows_in_plain_words(portal, make_incident, resolve):
    ticket = resolve(make_incident(), notes="Rebooted the switch.")
    services.incident_transition(ticket=ticket, actor=None, to=IncidentState.CLOSED,
                                 note="Closed automatically 5 days after resolution.")
    page = page_of(portal, ticket)
    assert "Closed automatically 5 days after resolution." in page and "Service desk" in page
    assert "How it was solved" in page and "Rebooted the switch." in page


# --- New: cancel -------------------------------------------------------------------------


def test_cancel_a_new_request(portal, make_incident):
    ticket = make_incident()
    response = post(portal, "ticket_cancel", ticket, {"version": ticket.version}, follow=True)
    ticket.refresh_from_db()
    assert ticket.state == IncidentState.CANCELLED
    page = response.content.decode()
    assert "Your request was cancelled." in page
    assert "Cancel this request" not in page


def test_cannot_cancel_once_work_started(portal, make_incident, agent):
    ticket = make_incident()
    ticket = services.incident_transition(ticket=ticket, actor=agent, to=IncidentState.IN_PROGRESS)
    assert "Cancel this request" not in page_of(portal, ticket)
    post(portal, "ticket_cancel", ticket, {"version": ticket.version})
    ticket.refresh_from_db()
    assert ticket.state == IncidentState.IN_PROGRESS


# --- Organisation sharing ------------------------------------------------------------------


def test_colleague_sees_shared_tickets_but_takes_no_requester_actions(client, colleague, organisation,
                                                                       make_incident, resolve):
    organisation.share_tickets = True
    organisation.save()
    ticket = resolve(make_incident(title="Shared printer broken"))
    client.force_login(colleague)
    assert reverse("portal:ticket_detail", args=[ticket.number]) in client.get(reverse("portal:my_tickets")).content.decode()
    page = page_of(client, ticket)
    assert "Shared printer broken" in page and "Alice Kim told us" in page
    assert "Solved — please confirm" not in page and "asked Alice Kim to confirm" in page
    assert "Yes, it's fixed" not in page and "still broken" not in page
    post(client, "ticket_confirm", ticket, {"version": ticket.version})
    ticket.refresh_from_db()
    assert ticket.state == IncidentState.RESOLVED


def test_colleague_sees_nothing_without_sharing(client, colleague, make_incident):
    ticket = make_incident()
    client.force_login(colleague)
    assert client.get(reverse("portal:ticket_detail", args=[ticket.number])).status_code == 404
    assert reverse("portal:ticket_detail", args=[ticket.number]) not in client.get(reverse("portal:my_tickets")).content.decode()


def test_korean_conversation(portal, make_incident, agent):
    ticket = make_incident(title="프린터 고장", description="3층 프린터가 작동하지 않습니다.")
    services.incident_comment(ticket=ticket, actor=agent, body="확인 중입니다.")
    page = page_of(portal, ticket)
    assert "프린터 고장" in page and "3층 프린터가 작동하지 않습니다." in page and "확인 중입니다." in page


def test_ticket_page_query_count_does_not_grow_with_the_conversation(portal, make_incident, agent, requester):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ticket = make_incident()

    def converse(n):
        for i in range(n):
            services.incident_comment(ticket=ticket, actor=agent if i % 2 else requester, body=f"message {i}")
            attachment_add(ticket=ticket, actor=agent, upload=upload(f"f{i}.png"))

    def count():
        with CaptureQueriesContext(connection) as ctx:
            page_of(portal, ticket)
        return len(ctx.captured_queries)

    converse(3)
    few = count()
    converse(27)
    assert count() == few
