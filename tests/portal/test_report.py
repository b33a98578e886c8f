"""Reporting a problem: plain-words answers become urgency and impact; files are all-or-nothing."""

import pytest
from django.urls import reverse

from incidents.choices import Channel, IncidentState
from incidents.models import Incident
from servicedesk.models import Attachment, Notification, Ticket, TicketSequence

from .helpers import stored_files, upload

pytestmark = pytest.mark.django_db

URL = "/portal/report/"


def form_data(**overrides):
    data = {"title": "I can't send e-mail", "description": "Outlook says *offline*.", "service": "",
            "urgency": "1", "impact": "2"}
    data.update(overrides)
    return data


def test_form_speaks_plainly_and_shows_the_limits(portal, service, settings):
    settings.ATTACHMENT_MAX_BYTES = 3 * 1024 * 1024
    settings.ATTACHMENT_ALLOWED_EXTENSIONS = ["png", "pdf"]
    page = portal.get(URL).content.decode()
    for text in ["What is wrong?", "Tell us more", "Which service is affected?", "I don&#x27;t know",
                 "How is your work affected?", "I can&#x27;t work at all", "Who is affected?", "Just me",
                 "Markdown", service.name, "Up to 3 MB per file", "png, pdf"]:
        assert text in page, text
    assert 'enctype="multipart/form-data"' in page and " multiple" in page


@pytest.mark.parametrize("urgency, impact, priority", [("1", "1", 1), ("1", "2", 2), ("2", "3", 4), ("3", "3", 5)])
def test_report_opens_an_incident_from_the_answers(portal, requester, urgency, impact, priority):
    response = portal.post(URL, form_data(urgency=urgency, impact=impact))
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("portal:ticket_detail", args=[ticket.number])
    incident = Incident.objects.get(ticket=ticket)
    assert (incident.urgency, incident.impact, ticket.priority) == (int(urgency), int(impact), priority)
    assert incident.channel == Channel.PORTAL
    assert ticket.requester == requester and ticket.state == IncidentState.NEW
    assert ticket.service is None


def test_report_with_service_and_files(portal, service, team, settings):
    response = portal.post(URL, {**form_data(service=str(service.pk)),
                                 "attachments": [upload("screen.png"), upload("log.txt", b"error 42", "text/plain")]},
                           follow=True)
    ticket = Ticket.objects.get()
    assert ticket.service == service and ticket.team == team, "routed to the service's support team"
    files = Attachment.objects.filter(ticket=ticket).order_by("name")
    assert [f.name for f in files] == ["log.txt", "screen.png"]
    assert all(f.public and f.comment_id is None for f in files)
    assert len(stored_files(settings)) == 2
    page = response.content.decode()
    assert f"We&#x27;ve received your request {ticket.number}" in page
    assert "screen.png" in page and "log.txt" in page


def test_a_refused_file_creates_nothing(portal, settings):
    response = portal.post(URL, {**form_data(), "attachments": [upload("fine.png"), upload("virus.exe", b"MZ")]})
    assert response.status_code == 200
    assert "virus.exe: Files of type .exe are not accepted" in response.content.decode()
    assert not Ticket.objects.exists()
    assert not Attachment.objects.exists()
    assert not Notification.objects.exists()
    assert stored_files(settings) == [], "the accepted file was removed from storage too"
    assert not TicketSequence.objects.filter(last_value__gt=0).exists(), "the number was given back"
    # The person's answers are kept so they only need to fix the file.
    assert "I can&#x27;t send e-mail" in response.content.decode()


def test_a_file_over_the_size_limit_is_refused(portal, settings):
    settings.ATTACHMENT_MAX_BYTES = 1024 * 1024
    response = portal.post(URL, {**form_data(), "attachments": [upload("big.png", b"x" * (1024 * 1024 + 1))]})
    assert "big.png: The file is larger than 1 MB." in response.content.decode()
    assert not Ticket.objects.exists()


def test_every_refused_file_is_listed(portal):
    response = portal.post(URL, {**form_data(), "attachments": [upload("a.exe", b"MZ"), upload("b.bat", b"@")]})
    page = response.content.decode()
    assert "a.exe:" in page and "b.bat:" in page


@pytest.mark.parametrize("missing", ["title", "urgency", "impact"])
def test_required_answers(portal, missing):
    data = form_data()
    del data[missing]
    response = portal.post(URL, data)
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    assert not Ticket.objects.exists()


def test_answers_outside_the_choices_are_refused(portal):
    response = portal.post(URL, form_data(urgency="9", impact="-1"))
    assert response.status_code == 200
    assert not Ticket.objects.exists()


def test_only_business_services_can_be_chosen(portal):
    from cmdb.factories import CIFactory

    server = CIFactory(name="srv-01")
    assert "srv-01" not in portal.get(URL).content.decode()
    portal.post(URL, form_data(service=str(server.pk)))
    assert not Ticket.objects.exists()


def test_korean_report(portal):
    response = portal.post(URL, form_data(title="메일서버 장애", description="메일 발송이 안 됩니다"), follow=True)
    page = response.content.decode()
    assert "메일서버 장애" in page and "메일 발송이 안 됩니다" in page


def test_too_many_files_at_once(portal):
    files = [upload(f"shot{i}.png") for i in range(11)]
    response = portal.post(URL, {**form_data(), "attachments": files})
    assert "Attach at most 10 files at a time." in response.content.decode()
    assert not Ticket.objects.exists()
