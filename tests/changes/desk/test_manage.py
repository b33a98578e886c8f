"""Change managers' pages: standard templates, freeze windows, CAB rules and approver groups."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from changes.models import CabRule, ChangeTemplate, FreezeWindow
from servicedesk.models import ApproverGroup

pytestmark = pytest.mark.django_db


def local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


PAGES = ["template_list", "template_create", "freeze_list", "freeze_create", "cab_rules", "cab_rule_create",
         "group_create"]


def test_agents_get_403(agent_client):
    for name in PAGES:
        assert agent_client.get(reverse(f"desk-changes:{name}")).status_code == 403, name


def test_pages_render_for_change_managers(manager_client, template, cab_rules):
    for name in PAGES:
        assert manager_client.get(reverse(f"desk-changes:{name}")).status_code == 200, name
    for name, pk in (("template_edit", template.pk), ("cab_rule_edit", cab_rules[0].pk),
                     ("group_edit", cab_rules[0].group_id)):
        assert manager_client.get(reverse(f"desk-changes:{name}", args=[pk])).status_code == 200, name


def template_data(**overrides):
    data = {"name": "Renew a certificate", "title": "Renew the TLS certificate", "description": "",
            "category": "", "reason": "security", "implementation_plan": "Install the new certificate",
            "backout_plan": "Put the old one back", "test_plan": "", "team": "", "duration_minutes": 30}
    data.update(overrides)
    return data


def test_templates_create_edit_withdraw(manager_client, template):
    url = reverse("desk-changes:template_create")
    bad = manager_client.post(url, template_data(name=template.name))
    assert bad.status_code == 400 and "Another template has this name." in bad.content.decode()
    assert manager_client.post(url, template_data()).status_code == 302
    created = ChangeTemplate.objects.get(name="Renew a certificate")
    edit = reverse("desk-changes:template_edit", args=[created.pk])
    response = manager_client.post(edit, template_data(version=created.version, duration_minutes=45))
    assert response.status_code == 302
    created.refresh_from_db()
    assert created.duration_minutes == 45
    stale = manager_client.post(edit, template_data(version=0, duration_minutes=50))
    assert stale.status_code == 400 and "Someone else saved this" in stale.content.decode()
    assert manager_client.post(reverse("desk-changes:template_withdraw", args=[created.pk])).status_code == 302
    created.refresh_from_db()
    assert not created.active
    html = manager_client.get(reverse("desk-changes:templates")).content.decode()
    assert f"?template={created.pk}" not in html, "withdrawn templates are not offered"


def test_freeze_windows(manager_client, service):
    start = timezone.now() + timedelta(days=10)
    url = reverse("desk-changes:freeze_create")
    data = {"name": "Year end", "starts_at": local(start), "ends_at": local(start - timedelta(hours=1)),
            "service": "", "reason": "Closing the books", "active": "on"}
    bad = manager_client.post(url, data)
    assert bad.status_code == 400 and "The end must be after the start." in bad.content.decode()
    assert manager_client.post(url, {**data, "ends_at": local(start + timedelta(days=3)),
                                     "service": service.pk}).status_code == 302
    window = FreezeWindow.objects.get(name="Year end")
    assert window.service == service
    assert "Year end" in manager_client.get(reverse("desk-changes:freeze_list")).content.decode()
    assert manager_client.post(reverse("desk-changes:freeze_delete", args=[window.pk])).status_code == 302
    assert not FreezeWindow.objects.exists()


def test_cab_rules_and_groups(manager_client, cab, cab_members):
    url = reverse("desk-changes:cab_rule_create")
    data = {"change_type": "normal", "min_risk_level": "high", "service": "", "group": cab.pk, "policy": "quorum",
            "threshold": "", "order": 2, "active": "on"}
    bad = manager_client.post(url, data)
    assert bad.status_code == 400 and "needs a threshold" in bad.content.decode()
    assert manager_client.post(url, {**data, "threshold": 2}).status_code == 302
    rule = CabRule.objects.get(min_risk_level="high")
    assert rule.policy == "quorum" and rule.threshold == 2
    assert manager_client.post(reverse("desk-changes:cab_rule_delete", args=[rule.pk])).status_code == 302
    response = manager_client.post(reverse("desk-changes:group_create"), {
        "name": "Network CAB", "description": "", "chair": cab_members[0].pk,
        "members": [m.pk for m in cab_members[:2]], "active": "on"})
    assert response.status_code == 302
    group = ApproverGroup.objects.get(name="Network CAB")
    assert set(group.members.all()) == set(cab_members[:2])
