"""The SLA admin writes calendars and definitions through sla.services (audit context, recompute)."""

from unittest import mock

import pytest

from sla import services
from sla.models import Calendar


@pytest.fixture
def calendar_form():
    return {
        "name": "Seoul office", "time_zone": "Asia/Seoul", "holiday_country": "", "holiday_subdivision": "",
        "description": "",
        "hours-TOTAL_FORMS": "1", "hours-INITIAL_FORMS": "0", "hours-MIN_NUM_FORMS": "0", "hours-MAX_NUM_FORMS": "1000",
        "hours-0-weekday": "0", "hours-0-start": "09:00", "hours-0-end": "18:00",
        "dates-TOTAL_FORMS": "1", "dates-INITIAL_FORMS": "0", "dates-MIN_NUM_FORMS": "0", "dates-MAX_NUM_FORMS": "1000",
        "dates-0-date": "2026-10-03", "dates-0-kind": "closed", "dates-0-start": "", "dates-0-end": "",
        "dates-0-note": "National Foundation Day",
    }


def test_a_calendar_added_in_the_admin_is_saved_by_the_service(admin_client, calendar_form):
    with mock.patch.object(services, "calendar_save", wraps=services.calendar_save) as save:
        response = admin_client.post("/admin/sla/calendar/add/", calendar_form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert save.call_count == 1
    calendar = Calendar.objects.get(name="Seoul office")
    assert [(h.weekday, str(h.start)) for h in calendar.hours.all()] == [(0, "09:00:00")]
    assert [d.note for d in calendar.dates.all()] == ["National Foundation Day"]


def test_a_definition_changed_in_the_admin_is_saved_by_the_service(admin_client):
    from sla.models import SlaDefinition

    definition = SlaDefinition.objects.get(name="Incident P3 - Moderate")
    page = admin_client.get(f"/admin/sla/sladefinition/{definition.pk}/change/")
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    for name in ("kinds", "priorities", "pause_on", "run_on", "warn_at"):
        value = getattr(definition, name)
        data[name] = ",".join(str(v) for v in value)
    data["description"] = "Changed in the admin"
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{formset.formset.prefix}-{name}"] = management[name].value()
        for index, inline in enumerate(formset.formset.forms):
            for name in inline.fields:
                value = inline[name].value()
                data[f"{formset.formset.prefix}-{index}-{name}"] = "" if value is None else value
    with mock.patch.object(services, "definition_save", wraps=services.definition_save) as save:
        response = admin_client.post(f"/admin/sla/sladefinition/{definition.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert save.call_count == 2  # the definition, then its targets
    definition.refresh_from_db()
    assert definition.description == "Changed in the admin"
    assert definition.targets.count() == 2
