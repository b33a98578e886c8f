"""Line breaks in titles and other one-line fields are collapsed on input (API and pages), and a
title stored with one before that still gives a sendable e-mail."""

import pytest
from django.core import mail

from servicedesk.models import Notification, Ticket
from servicedesk.tasks import send_notification
from sla.models import Calendar

pytestmark = pytest.mark.django_db

MESSY = "Mail\r\nis down\tagain\u2028 "


def test_api_title_is_one_line_on_create_and_update(api, requester, agent, team):
    response = api(requester).post("/api/v1/incidents/", {"title": MESSY}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "Mail is down again"
    number = response.json()["number"]
    response = api(agent).patch(f"/api/v1/incidents/{number}/", {"title": "Still\ndown"}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "Still down"
    assert Ticket.objects.get(number=number).title == "Still down"
    # Nothing but whitespace is still a missing title.
    assert api(requester).post("/api/v1/incidents/", {"title": "\r\n\t"}, format="json").status_code == 400


def test_portal_report_title_is_one_line(client, requester):
    client.force_login(requester)
    response = client.post("/portal/report/", {"title": MESSY, "description": "first line\nsecond line",
                                                "service": "", "urgency": "2", "impact": "3"})
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    assert ticket.title == "Mail is down again"
    assert ticket.description == "first line\nsecond line", "multi-line fields keep their lines"


def test_other_one_line_fields_are_collapsed(api, slm):
    response = api(slm).post("/api/v1/sla/calendars/", {"name": "Night\r\ndesk", "hours": []}, format="json")
    assert response.status_code == 201, response.content
    assert Calendar.objects.get(pk=response.json()["id"]).name == "Night desk"


def test_legacy_newline_title_still_gives_sendable_mail(make_incident, agent, team, api,
                                                        django_capture_on_commit_callbacks):
    ticket = make_incident(title="ok")
    Ticket.objects.filter(pk=ticket.pk).update(title="Printer\r\nBcc: victim@example.com")  # stored long ago
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = api(agent).post(f"/api/v1/incidents/{ticket.number}/comments/", {"body": "On it"}, format="json")
    assert response.status_code == 201
    sent = [m for m in mail.outbox if ticket.number in m.subject]
    assert sent and all("\n" not in m.subject and "\r" not in m.subject for m in sent)
    assert "Printer Bcc: victim@example.com" in sent[0].subject
    assert not Notification.objects.filter(ticket=ticket, subject__contains="Bcc", sent_at__isnull=True).exists()


def test_outbox_row_with_a_newline_subject_is_sent(make_incident):
    ticket = make_incident(title="ok")
    note = Notification.objects.create(ticket=ticket, to_email="alice@example.com", reason="created",
                                       subject="[X] line one\nline two", body="body")
    mail.outbox.clear()
    send_notification(note.pk)
    note.refresh_from_db()
    assert note.sent_at is not None and note.last_error == ""
    assert mail.outbox[0].subject == "[X] line one line two"


def test_console_sla_definition_name_is_one_line(client, slm):
    from django.urls import reverse

    from sla.models import SlaDefinition
    from tests.sla.test_manage_pages import definition_data

    p3 = SlaDefinition.objects.get(name="Incident P3 - Moderate")
    client.force_login(slm)
    response = client.post(reverse("desk-sla:definition_edit", args=[p3.pk]),
                           definition_data(p3, name="Incident P3\r\nModerate", description="One\nline"))
    assert response.status_code == 302
    p3.refresh_from_db()
    assert (p3.name, p3.description) == ("Incident P3 Moderate", "One line")
