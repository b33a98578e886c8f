"""Admin edits of configuration items go through cmdb.services: validation, version, history context."""

import pytest
from django.urls import reverse
from pghistory.models import Events

from accounts.factories import UserFactory
from cmdb import services
from cmdb.factories import CIFactory
from cmdb.models import ConfigurationItem
from servicedesk.models import Ticket

pytestmark = pytest.mark.django_db


def url(view, *args):
    return reverse(f"admin:cmdb_configurationitem_{view}", args=args)


@pytest.fixture
def superuser_client(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def form_data(ci, **changes):
    data = {"name": ci.name, "ci_class": ci.ci_class_id, "status": ci.status, "environment": ci.environment,
            "criticality": ci.criticality, "owner": "", "owner_team": ci.owner_team_id or "",
            "support_team": ci.support_team_id or "", "location": ci.location, "description": ci.description,
            "attributes": '{"os": "linux"}', "expected_version": ci.version, "source": ci.source,
            "external_id": ci.external_id}
    data.update(changes)
    return data


def events_of(ci):
    return Events.objects.filter(pgh_obj_model="cmdb.ConfigurationItem", pgh_obj_id=str(ci.pk))


def test_valid_change_goes_through_ci_update(superuser_client, cls):
    ci = CIFactory(name="srv-01", ci_class=cls["server"], attributes={"os": "linux"})
    response = superuser_client.post(url("change", ci.pk), form_data(ci, name="srv-01a",
                                                                     attributes='{"os": "unix", "cpu_count": "8"}'))

    assert response.status_code == 302, response.context["adminform"].form.errors
    ci.refresh_from_db()
    assert ci.name == "srv-01a" and ci.version == 2
    assert ci.attributes == {"os": "unix", "cpu_count": 8}  # cleaned by the service's validator
    update = events_of(ci).get(pgh_label="update")
    assert update.pgh_context["service"] == "ci_update" and update.pgh_diff["name"] == ["srv-01", "srv-01a"]


def test_invalid_attribute_is_a_form_error_and_writes_nothing(superuser_client, cls):
    ci = CIFactory(name="srv-01", ci_class=cls["server"], attributes={"os": "linux"})
    before = events_of(ci).count()

    response = superuser_client.post(url("change", ci.pk), form_data(ci, name="renamed",
                                                                     attributes='{"os": "beos", "colour": "red"}'))

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["attributes"]
    assert "os: Choose one of: linux, windows, unix, other." in errors
    assert "colour: This class has no such attribute." in errors
    ci.refresh_from_db()
    assert (ci.name, ci.version, ci.attributes) == ("srv-01", 1, {"os": "linux"})
    assert events_of(ci).count() == before


@pytest.mark.parametrize("attributes", ['{"os": "\\ud800"}', '{"\\udfff": "linux"}', '{"os": "li\\u0000nux"}'])
def test_characters_postgresql_cannot_store_are_a_form_error(superuser_client, cls, attributes):
    ci = CIFactory(name="srv-01", ci_class=cls["server"], attributes={"os": "linux"})

    response = superuser_client.post(url("change", ci.pk), form_data(ci, attributes=attributes))

    assert response.status_code == 200
    assert response.context["adminform"].form.errors["attributes"]
    ci.refresh_from_db()
    assert (ci.version, ci.attributes) == (1, {"os": "linux"})


def test_changing_the_class_rechecks_the_attributes(superuser_client, cls):
    ci = CIFactory(ci_class=cls["server"], attributes={"os": "linux"})
    response = superuser_client.post(url("change", ci.pk), form_data(ci, ci_class=cls["network_device"].pk))
    errors = response.context["adminform"].form.errors["attributes"]
    assert any("device_type" in e for e in errors) and any(e.startswith("os:") for e in errors)
    ci.refresh_from_db()
    assert ci.ci_class == cls["server"]


def test_stale_version_is_refused(superuser_client, cls, config_manager):
    ci = CIFactory(name="srv-01", ci_class=cls["server"], attributes={"os": "linux"})
    data = form_data(ci, name="mine")
    services.ci_update(ci=ci, actor=config_manager, name="theirs")

    response = superuser_client.post(url("change", ci.pk), data)

    assert response.status_code == 200
    assert "changed by someone else" in str(response.context["adminform"].form.non_field_errors())
    ci.refresh_from_db()
    assert (ci.name, ci.version) == ("theirs", 2)


def test_duplicate_source_and_external_id_is_a_form_error(superuser_client, cls):
    CIFactory(source="scan", external_id="x1")
    ci = CIFactory(ci_class=cls["server"], attributes={"os": "linux"})
    response = superuser_client.post(url("change", ci.pk), form_data(ci, source="scan", external_id="x1"))
    assert response.status_code == 200 and response.context["adminform"].form.errors["external_id"]


def test_add_goes_through_ci_create(superuser_client, cls):
    data = {"name": "fw-01", "ci_class": cls["network_device"].pk, "status": "in_use", "environment": "production",
            "criticality": 2, "attributes": '{"device_type": "firewall"}', "source": "", "external_id": ""}
    response = superuser_client.post(url("add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    ci = ConfigurationItem.objects.get(name="fw-01")
    assert ci.attributes == {"device_type": "firewall"} and ci.version == 1
    assert events_of(ci).get(pgh_label="insert").pgh_context["service"] == "ci_create"

    missing = superuser_client.post(url("add"), {**data, "name": "fw-02", "attributes": "{}"})
    assert missing.status_code == 200
    assert "device_type: This attribute is required." in missing.context["adminform"].form.errors["attributes"]
    assert not ConfigurationItem.objects.filter(name="fw-02").exists()


def test_delete_goes_through_ci_delete(superuser_client, cls, make_incident, agent):
    from servicedesk import services as desk

    ci = CIFactory()
    response = superuser_client.post(url("delete", ci.pk), {"post": "yes"})
    assert response.status_code == 302 and not ConfigurationItem.objects.filter(pk=ci.pk).exists()
    deleted = Events.objects.filter(pgh_obj_model="cmdb.ConfigurationItem", pgh_obj_id=str(ci.pk),
                                    pgh_label="delete").get()
    assert deleted.pgh_context["service"] == "ci_delete"

    # a CI named on a ticket is protected, one by one and in the bulk action
    named, free = CIFactory(), CIFactory()
    desk.ticket_link_cis(ticket=make_incident(title="down"), actor=agent, cis=[named])
    assert superuser_client.post(url("delete", named.pk), {"post": "yes"}).status_code == 200
    superuser_client.post(url("changelist"), {"action": "delete_selected", "_selected_action": [named.pk, free.pk],
                                              "post": "yes"})
    assert ConfigurationItem.objects.filter(pk=named.pk).exists() and Ticket.objects.exists()
    superuser_client.post(url("changelist"), {"action": "delete_selected", "_selected_action": [free.pk],
                                              "post": "yes"})
    assert not ConfigurationItem.objects.filter(pk=free.pk).exists()


def test_staff_without_the_cmdb_role_only_view(client, cls):
    from django.contrib.auth.models import Permission

    clerk = UserFactory(username="clerk", is_staff=True)
    clerk.user_permissions.add(*Permission.objects.filter(content_type__app_label="cmdb",
                                                          codename__endswith="configurationitem"))
    client.force_login(clerk)
    ci = CIFactory(name="srv-01", ci_class=cls["server"])

    assert client.get(url("change", ci.pk)).status_code == 200  # the view page
    assert client.post(url("change", ci.pk), form_data(ci, name="x")).status_code == 403
    assert client.get(url("add")).status_code == 403
    assert client.post(url("delete", ci.pk), {"post": "yes"}).status_code == 403
    ci.refresh_from_db()
    assert ci.name == "srv-01"
