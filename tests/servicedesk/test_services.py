"""Shared ticket services: comments, attachments, time, CI links, visibility, audit trail."""

import pghistory.models
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.factories import UserFactory
from cmdb.factories import CIFactory
from esm.errors import NotPermitted
from incidents import services as incidents
from servicedesk import services
from servicedesk.choices import EventKind
from servicedesk.models import Attachment, Comment, TimeEntry, TimelineEntry
from servicedesk.queries import can_view_ticket, tickets_visible_to
from servicedesk.rendering import render_markdown

pytestmark = pytest.mark.django_db


def test_comment_validation(make_incident, requester):
    ticket = make_incident()
    for body in ["", "   ", "a\x00b", "x" * 50_001]:
        with pytest.raises(ValidationError):
            services.comment_add(ticket=ticket, actor=requester, body=body, public=True)
    assert not Comment.objects.exists()


def test_public_reply_and_work_note_on_timeline(make_incident, agent, requester):
    ticket = make_incident()
    services.comment_add(ticket=ticket, actor=agent, body="Please restart", public=True)
    services.comment_add(ticket=ticket, actor=agent, body="Internal: vendor case 42", public=False)
    kinds = list(TimelineEntry.objects.filter(ticket=ticket).values_list("kind", "public"))
    assert (EventKind.COMMENT, True) in kinds and (EventKind.WORK_NOTE, False) in kinds


def test_time_entry_with_work_note(make_incident, agent, requester):
    ticket = make_incident()
    entry = services.time_entry_add(ticket=ticket, actor=agent, minutes=30, note="Reimaged laptop")
    assert entry.note.public is False and entry.minutes == 30
    with pytest.raises(ValidationError):
        services.time_entry_add(ticket=ticket, actor=agent, minutes=0, note="x")
    with pytest.raises(NotPermitted):
        services.time_entry_add(ticket=ticket, actor=requester, minutes=5, note="x")
    assert TimeEntry.objects.count() == 1


def test_attachment_limits(make_incident, requester, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024
    ticket = make_incident()
    ok = services.attachment_add(ticket=ticket, actor=requester,
                                 upload=SimpleUploadedFile("error.png", b"x" * 100, content_type="image/png"))
    assert ok.size == 100 and ok.public and ok.file.read() == b"x" * 100
    for upload in [SimpleUploadedFile("big.png", b"x" * 2048), SimpleUploadedFile("run.exe", b"MZ"),
                   SimpleUploadedFile("empty.txt", b"")]:
        with pytest.raises(ValidationError) as exc:
            services.attachment_add(ticket=ticket, actor=requester, upload=upload)
        assert "file" in exc.value.message_dict
    assert Attachment.objects.count() == 1


def test_requester_attachments_are_always_public(make_incident, requester):
    attachment = services.attachment_add(ticket=make_incident(), actor=requester, public=False,
                                         upload=SimpleUploadedFile("a.txt", b"hi"))
    assert attachment.public


def test_ci_links(make_incident, agent, requester):
    ticket = make_incident()
    ci = CIFactory()
    services.ticket_link_cis(ticket=ticket, actor=agent, cis=[ci, ci])
    services.ticket_link_cis(ticket=ticket, actor=agent, cis=[ci])
    assert list(ticket.cis.all()) == [ci]
    with pytest.raises(NotPermitted):
        services.ticket_link_cis(ticket=ticket, actor=requester, cis=[ci])
    services.ticket_unlink_ci(ticket=ticket, actor=agent, ci=ci)
    assert not ticket.cis.exists()


def test_visibility(make_incident, requester, other_requester, agent, organisation):
    mine = make_incident()
    theirs = make_incident(requester=other_requester)
    colleague = UserFactory(organisation=organisation)
    assert set(tickets_visible_to(requester)) == {mine}
    assert set(tickets_visible_to(agent)) == {mine, theirs}
    assert not can_view_ticket(colleague, mine)
    organisation.share_tickets = True
    organisation.save()
    colleague = type(colleague).objects.get(pk=colleague.pk)
    assert can_view_ticket(colleague, mine) and not can_view_ticket(colleague, theirs)
    services.ticket_watch(ticket=theirs, actor=agent, user=requester)
    assert can_view_ticket(requester, theirs)
    inactive = UserFactory(is_active=False)
    assert not tickets_visible_to(inactive).exists()


def test_audit_trail_records_actor_for_service_writes(make_incident, agent):
    ticket = make_incident()
    incidents.incident_update(ticket=ticket, actor=agent, title="New title")
    events = pghistory.models.Events.objects.references(ticket).filter(pgh_label="update")
    assert events.exists()
    assert any(e.pgh_context and e.pgh_context.get("actor") == agent.pk for e in events)


def test_audit_trail_records_bulk_updates(make_incident):
    from servicedesk.models import Ticket

    ticket = make_incident()
    Ticket.objects.filter(pk=ticket.pk).update(title="Changed behind the services' back")
    assert pghistory.models.Events.objects.references(ticket).filter(pgh_label="update").exists()


@pytest.mark.parametrize("source, forbidden", [
    ("<script>alert(1)</script>", "<script"),
    ("[x](javascript:alert(1))", "javascript:"),
    ('<img src=x onerror="alert(1)">', "onerror"),
])
def test_markdown_is_sanitised(source, forbidden):
    assert forbidden not in render_markdown(source)


def test_markdown_keeps_formatting():
    html = render_markdown("**bold** and `code`\n\n- item")
    assert "<strong>bold</strong>" in html and "<code>code</code>" in html and "<li>item</li>" in html


def test_mail_is_written_in_the_recipients_language(agent, requester):
    from django.utils import translation

    from servicedesk.models import Notification

    requester.language = "ko"
    requester.save()
    with translation.override("en"):
        incidents.incident_open(actor=agent, requester=requester, title="VPN", impact=3, urgency=3)
    note = Notification.objects.get(recipient=requester)
    assert "INC0000001" in note.subject and "received" not in note.subject
