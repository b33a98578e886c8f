"""SLA API input that used to raise KeyError or ValueError: field-level 400s, nested where the error is."""

import pytest

from sla.models import Calendar, SlaDefinition

pytestmark = pytest.mark.django_db

DEFINITIONS = "/api/v1/sla/definitions/"
CALENDARS = "/api/v1/sla/calendars/"
REPORT = "/api/v1/sla/reports/compliance/"
REQUIRED = ["This field is required."]


def test_partial_target_in_a_patch_is_a_nested_400(api, slm):
    definition = SlaDefinition.objects.order_by("id").first()
    before = {t.metric: t.seconds for t in definition.targets.all()}
    response = api(slm).patch(f"{DEFINITIONS}{definition.pk}/", {"targets": [{"seconds": 60}]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"targets": [{"metric": REQUIRED}]}
    assert {t.metric: t.seconds for t in definition.targets.all()} == before


@pytest.mark.parametrize("body, errors", [
    ({"hours": [{}]}, {"hours": [{"weekday": REQUIRED, "start": REQUIRED, "end": REQUIRED}]}),
    ({"dates": [{}]}, {"dates": [{"date": REQUIRED}]}),
    ({"hours": [{"weekday": 0, "start": "09:00", "end": "17:00"}, {"weekday": 1}]},
     {"hours": [{}, {"start": REQUIRED, "end": REQUIRED}]}),
])
def test_partial_calendar_items_in_a_patch_are_nested_400s(api, slm, body, errors):
    calendar = Calendar.objects.get(name="Business hours")
    hours_before = calendar.hours.count()
    response = api(slm).patch(f"{CALENDARS}{calendar.pk}/", body, format="json")
    assert response.status_code == 400
    assert response.json() == errors
    assert calendar.hours.count() == hours_before


def test_a_whole_item_in_a_patch_is_still_accepted(api, slm):
    calendar = Calendar.objects.get(name="Business hours")
    response = api(slm).patch(f"{CALENDARS}{calendar.pk}/", {"dates": [{"date": "2030-12-24"}]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["dates"][0]["kind"] == "closed"  # the item's default applies


@pytest.mark.parametrize("params, field", [
    ({"end": "0000-01"}, "end"),
    ({"start": "9999-12", "end": "9999-12"}, "start"),
    ({"start": "0001-01", "end": "0001-02"}, "start"),
    ({"end": "1900-01"}, None),  # the default start is six months earlier: still a valid date
])
def test_report_months_out_of_range_are_400_on_the_field(api, agent, params, field):
    response = api(agent).get(REPORT, params)
    if field is None:
        assert response.status_code == 200
    else:
        assert response.status_code == 400
        assert field in response.json()
