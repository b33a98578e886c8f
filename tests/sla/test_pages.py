"""Console pages for service levels: who may see them, what they show, fixed query counts."""

from datetime import timedelta

import pytest
from django.urls import reverse

from sla.models import Calendar, SlaDefinition

from .conftest import MONDAY_10

PAGES = ["desk-sla:breaching", "desk-sla:definitions", "desk-sla:calendars", "desk-sla:report"]


@pytest.fixture
def incident(at, make_incident, service):
    with at(MONDAY_10):
        return make_incident(impact=2, urgency=2, service=service)


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_goes_to_login_and_requesters_are_refused(client, requester, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    client.force_login(requester)
    assert client.get(reverse(name))["Location"] == reverse("portal:home")


def test_detail_pages_refuse_requesters(client, requester):
    client.force_login(requester)
    definition = SlaDefinition.objects.first()
    assert client.get(reverse("desk-sla:definition", args=[definition.pk]))["Location"] == reverse("portal:home")
    assert client.get(reverse("desk-sla:calendar", args=[definition.calendar_id]))["Location"] == reverse("portal:home")


@pytest.mark.parametrize("name", PAGES)
def test_agents_see_the_pages(client, agent, name):
    client.force_login(agent)
    assert client.get(reverse(name)).status_code == 200


def test_definition_and_calendar_pages(client, agent, slm):
    client.force_login(agent)
    definition = SlaDefinition.objects.get(name="Incident P4 - Low")
    body = client.get(reverse("desk-sla:definition", args=[definition.pk])).content.decode()
    assert "Business hours" in body and "40 h" in body
    edit = reverse("desk-sla:definition_edit", args=[definition.pk])
    assert edit not in body
    client.force_login(slm)
    body = client.get(reverse("desk-sla:definition", args=[definition.pk])).content.decode()
    assert edit in body and "/admin/" not in body.split("</nav>", 1)[1], "console pages, not the admin"
    assert client.get(reverse("desk-sla:definition", args=[999999])).status_code == 404
    calendar = Calendar.objects.get(name="Business hours")
    calendar.holiday_country = "KR"
    calendar.save()
    assert "Korean" in client.get(reverse("desk-sla:calendar", args=[calendar.pk])).content.decode() or \
        "New Year" in client.get(reverse("desk-sla:calendar", args=[calendar.pk])).content.decode()


def test_breaching_soon_lists_running_clocks_soonest_first(client, agent, incident, at, make_incident, service,
                                                         django_assert_max_num_queries):
    client.force_login(agent)
    with at(MONDAY_10 + timedelta(hours=3)):
        with django_assert_max_num_queries(16):
            body = client.get(reverse("desk-sla:breaching"), {"hours": "4"}).content.decode()
        assert incident.number in body and "left" in body
        for _ in range(3):
            make_incident(impact=2, urgency=2, service=service)
        with django_assert_max_num_queries(16):
            client.get(reverse("desk-sla:breaching"), {"hours": "4"})
        assert client.get(reverse("desk-sla:breaching"), {"hours": "junk"}).status_code == 200


def test_report_page_and_csv(client, agent, incident):
    client.force_login(agent)
    body = client.get(reverse("desk-sla:report"), {"start": "2026-03", "end": "2026-03"}).content.decode()
    assert "Incident P3 - Moderate" in body and "sla-chart" in body
    assert "<td>Resolution</td>" in body and "<td>resolution</td>" not in body, "metrics by their label"
    csv = client.get(reverse("desk-sla:report"), {"start": "2026-03", "end": "2026-03", "format": "csv",
                                                  "group_by": "team"})
    assert csv["Content-Type"].startswith("text/csv")
    assert "Service Desk" in csv.content.decode()
    bad = client.get(reverse("desk-sla:report"), {"start": "2026-99"})
    assert bad.status_code == 200 and "YYYY-MM" in bad.content.decode()


def test_incident_page_shows_the_clocks(client, agent, incident, at):
    client.force_login(agent)
    with at(MONDAY_10 + timedelta(hours=1)):
        body = client.get(reverse("desk-incidents:detail", args=[incident.number])).content.decode()
    assert 'id="sla"' in body
    assert "Incident P3 - Moderate" in body
    assert "3 h left" in body  # response: 4 business hours, one used
