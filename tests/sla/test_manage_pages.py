"""Console pages where service level managers edit SLA definitions and calendars."""

from datetime import time

import pytest
from django.urls import reverse

from sla import services
from sla.choices import EscalationAction
from sla.models import Calendar, EscalationRule, SlaDefinition

pytestmark = pytest.mark.django_db


def definition_data(definition, **changes) -> dict:
    """The edit page's form as the browser sends it back, with ``changes``."""
    rules = list(definition.escalations.all())
    data = {
        "version": services.version_stamp(definition), "name": definition.name, "type": definition.type,
        "order": definition.order, "active": "on", "description": definition.description,
        "calendar": definition.calendar_id, "response_minutes": 240, "resolution_minutes": 1440,
        "kinds": definition.kinds, "priorities": [str(p) for p in definition.priorities], "pause_on": "on_hold",
        "run_on": "", "warn_at": "50, 75",
        "esc-TOTAL_FORMS": len(rules) + 2, "esc-INITIAL_FORMS": len(rules), "esc-MIN_NUM_FORMS": 0,
        "esc-MAX_NUM_FORMS": 50,
    }
    for i, rule in enumerate(rules):
        data.update({f"esc-{i}-id": rule.pk, f"esc-{i}-metric": rule.metric, f"esc-{i}-threshold": rule.threshold,
                     f"esc-{i}-action": rule.action, f"esc-{i}-team": rule.team_id or "",
                     f"esc-{i}-active": "on" if rule.active else ""})
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def calendar_data(calendar, hours, dates=(), **changes) -> dict:
    data = {"version": services.version_stamp(calendar), "name": calendar.name, "time_zone": calendar.time_zone,
            "holiday_country": "", "holiday_subdivision": "", "description": "",
            "hours-TOTAL_FORMS": len(hours), "hours-INITIAL_FORMS": 0, "hours-MIN_NUM_FORMS": 0,
            "hours-MAX_NUM_FORMS": 60, "dates-TOTAL_FORMS": len(dates), "dates-INITIAL_FORMS": 0,
            "dates-MIN_NUM_FORMS": 0, "dates-MAX_NUM_FORMS": 400}
    for i, (weekday, start, end) in enumerate(hours):
        data.update({f"hours-{i}-weekday": weekday, f"hours-{i}-start": start, f"hours-{i}-end": end})
    for i, item in enumerate(dates):
        data.update({f"dates-{i}-{k}": v for k, v in item.items()})
    data.update(changes)
    return data


@pytest.fixture
def p3():
    return SlaDefinition.objects.get(name="Incident P3 - Moderate")


def test_only_service_level_managers_may_edit(client, agent, requester, slm, p3):
    urls = [reverse("desk-sla:definition_create"), reverse("desk-sla:definition_edit", args=[p3.pk]),
            reverse("desk-sla:calendar_create"), reverse("desk-sla:calendar_edit", args=[p3.calendar_id])]
    for url in urls:
        assert client.get(url)["Location"].startswith(reverse("login")), url
    client.force_login(requester)
    for url in urls:
        assert client.get(url)["Location"] == reverse("portal:home"), url
    client.force_login(agent)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 403 and "You are not allowed to do this" in response.content.decode(), url
    assert client.post(urls[1], definition_data(p3, name="Hijacked")).status_code == 403
    assert SlaDefinition.objects.get(pk=p3.pk).name == "Incident P3 - Moderate"
    client.force_login(slm)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_manager_changes_targets_and_escalation_rules(client, slm, p3, team):
    client.force_login(slm)
    page = client.get(reverse("desk-sla:definition_edit", args=[p3.pk])).content.decode()
    assert 'value="240"' in page, "the response target in minutes"
    n = p3.escalations.count()
    data = definition_data(p3, **{f"esc-{n}-threshold": "90", f"esc-{n}-action": EscalationAction.REASSIGN_TEAM,
                                  f"esc-{n}-team": team.pk, f"esc-{n}-active": "on", "esc-0-active": ""})
    response = client.post(reverse("desk-sla:definition_edit", args=[p3.pk]), data)
    assert response.status_code == 302 and response["Location"] == reverse("desk-sla:definition", args=[p3.pk])
    p3.refresh_from_db()
    assert {t.metric: t.seconds for t in p3.targets.all()} == {"response": 4 * 3600, "resolution": 24 * 3600}
    assert p3.warn_at == [50, 75] and p3.pause_on == ["on_hold"]
    rules = list(p3.escalations.order_by("id"))
    assert len(rules) == n + 1 and not rules[0].active
    assert (rules[-1].threshold, rules[-1].action, rules[-1].team) == (90, EscalationAction.REASSIGN_TEAM, team)


def test_the_services_rules_come_back_on_the_form_with_the_input_kept(client, slm, p3):
    client.force_login(slm)
    n = p3.escalations.count()
    url = reverse("desk-sla:definition_edit", args=[p3.pk])
    response = client.post(url, definition_data(p3, name="Renamed P3", warn_at="150",
                                                **{f"esc-{n}-action": EscalationAction.REASSIGN_TEAM,
                                                   f"esc-{n}-threshold": "80"}))
    html = response.content.decode()
    assert response.status_code == 400
    assert "Warning thresholds are percentages between 1 and 99." in html, "the model's rule, via the service"
    assert 'value="Renamed P3"' in html
    response = client.post(url, definition_data(p3, **{f"esc-{n}-action": EscalationAction.REASSIGN_TEAM,
                                                       f"esc-{n}-threshold": "80"}))
    assert response.status_code == 400
    assert "Reassigning needs the team to reassign to." in response.content.decode()
    response = client.post(url, definition_data(p3, type="uc", run_on=""))
    assert response.status_code == 400 and "underpinning contract" in response.content.decode()
    assert SlaDefinition.objects.get(pk=p3.pk).name == "Incident P3 - Moderate"


def test_a_stale_save_is_refused_and_keeps_the_input(client, slm, p3):
    client.force_login(slm)
    data = definition_data(p3, name="Mine")
    services.definition_save(actor=slm, definition=p3, description="Changed meanwhile")  # someone else
    response = client.post(reverse("desk-sla:definition_edit", args=[p3.pk]), data)
    html = response.content.decode()
    assert response.status_code == 409
    assert "Someone else saved this since you opened it" in html and 'value="Mine"' in html
    assert SlaDefinition.objects.get(pk=p3.pk).name == "Incident P3 - Moderate"
    fresh_version = response.context["form"].data["version"]
    again = client.post(reverse("desk-sla:definition_edit", args=[p3.pk]), {**data, "version": fresh_version})
    assert again.status_code == 302 and SlaDefinition.objects.get(pk=p3.pk).name == "Mine"


def test_create_a_definition(client, slm):
    client.force_login(slm)
    office = Calendar.objects.get(name="Business hours")
    data = {"name": "Requests", "type": "sla", "order": "200", "active": "on", "calendar": office.pk,
            "resolution_minutes": "960", "kinds": ["request"], "pause_on": "", "run_on": "", "warn_at": "",
            "esc-TOTAL_FORMS": 2, "esc-INITIAL_FORMS": 0, "esc-MIN_NUM_FORMS": 0, "esc-MAX_NUM_FORMS": 50}
    response = client.post(reverse("desk-sla:definition_create"), data)
    created = SlaDefinition.objects.get(name="Requests")
    assert response["Location"] == reverse("desk-sla:definition", args=[created.pk])
    assert created.kinds == ["request"] and created.targets.get().seconds == 960 * 60
    assert not EscalationRule.objects.filter(definition=created).exists()


def test_manager_edits_calendar_hours_and_dates(client, slm):
    client.force_login(slm)
    office = Calendar.objects.get(name="Business hours")
    url = reverse("desk-sla:calendar_edit", args=[office.pk])
    page = client.get(url).content.decode()
    assert 'value="09:00' in page
    hours = [(d, "08:00", "18:00") for d in range(5)] + [("", "", "")]
    dates = [{"date": "2026-12-24", "kind": "closed", "note": "Christmas Eve"},
             {"date": "2026-12-27", "kind": "open", "start": "10:00", "end": "14:00"}]
    response = client.post(url, calendar_data(office, hours, dates))
    assert response.status_code == 302
    assert {(h.weekday, h.start, h.end) for h in office.hours.all()} == {(d, time(8), time(18)) for d in range(5)}
    assert [(d.date.isoformat(), d.kind) for d in office.dates.order_by("date")] == [
        ("2026-12-24", "closed"), ("2026-12-27", "open")]
    detail = client.get(reverse("desk-sla:calendar", args=[office.pk])).content.decode()
    assert "Mon–Fri 08:00–18:00" in detail


def test_calendar_errors_from_the_service(client, slm):
    client.force_login(slm)
    office = Calendar.objects.get(name="Business hours")
    url = reverse("desk-sla:calendar_edit", args=[office.pk])
    twice = [(0, "09:00", "17:00"), (0, "09:00", "12:00")]
    response = client.post(url, calendar_data(office, twice))
    assert response.status_code == 400 and "already has hours starting then" in response.content.decode()
    response = client.post(url, calendar_data(office, [(0, "09:00", "17:00")], [{"date": "2026-12-27", "kind": "open"}]))
    assert response.status_code == 400 and "An extra working day needs its hours." in response.content.decode()
    response = client.post(url, calendar_data(office, [], time_zone="Mars/Olympus"))
    assert response.status_code == 400 and 'value="Mars/Olympus"' in response.content.decode()
    assert office.hours.count() == 5, "nothing half-written"
    stale = calendar_data(office, [(0, "09:00", "17:00")], version="2000-01-01T00:00:00+00:00")
    response = client.post(url, stale)
    assert response.status_code == 409 and office.hours.count() == 5


def test_manager_pages_in_korean(client, slm):
    slm.language = "ko"
    slm.save()
    client.force_login(slm)
    html = client.get(reverse("desk-sla:definition_create")).content.decode()
    assert "새 SLA 정의" in html and "에스컬레이션 규칙" in html
