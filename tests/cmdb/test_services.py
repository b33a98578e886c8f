"""CMDB services: attribute validation, versions, relationship rules, permissions, history, staleness."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from pghistory.models import Events

from cmdb import services
from cmdb.attributes import ClassCatalogue, validate_definition
from cmdb.factories import CIFactory
from cmdb.models import CIAttribute, ConfigurationItem, Relationship
from cmdb.queries import ci_history
from cmdb.tasks import flag_stale_cis
from esm.errors import DomainError, NotPermitted, StaleVersion

pytestmark = pytest.mark.django_db


def test_attributes_are_validated_against_the_class_and_its_ancestors(config_manager, cls):
    ci = services.ci_create(actor=config_manager, ci_class=cls["virtual_server"], name="vm-01",
                            attributes={"os": "linux", "cpu_count": "4", "hypervisor": "kvm"})
    assert ci.attributes == {"os": "linux", "cpu_count": 4, "hypervisor": "kvm"}  # inherited from server

    with pytest.raises(ValidationError) as caught:
        services.ci_create(actor=config_manager, ci_class=cls["virtual_server"], name="vm-02",
                           attributes={"os": "beos", "cpu_count": "four", "colour": "red"})
    assert set(caught.value.by_key) == {"os", "cpu_count", "colour"}
    assert not ConfigurationItem.objects.filter(name="vm-02").exists()


def test_required_attributes_and_types(config_manager, cls):
    with pytest.raises(ValidationError) as caught:
        services.ci_create(actor=config_manager, ci_class=cls["network_device"], name="sw-01")
    assert caught.value.by_key == {"device_type": ["This attribute is required."]}

    CIAttribute.objects.create(ci_class=cls["storage"], key="encrypted", name="Encrypted", type="boolean")
    CIAttribute.objects.create(ci_class=cls["storage"], key="since", name="Since", type="date")
    ci = services.ci_create(actor=config_manager, ci_class=cls["storage"], name="san",
                            attributes={"encrypted": "yes", "since": "2024-02-29", "capacity_tb": "12.5"})
    assert ci.attributes == {"encrypted": True, "since": "2024-02-29", "capacity_tb": 12.5}
    with pytest.raises(ValidationError):
        services.ci_update(ci=ci, actor=config_manager, attributes={"since": "2023-02-29"})


def test_attribute_declarations_are_checked():
    with pytest.raises(ValidationError):
        validate_definition(key="Bad Key", type="text", choices=[])
    with pytest.raises(ValidationError):
        validate_definition(key="ports", type="integer", choices=["many"])
    validate_definition(key="ports", type="integer", choices=[8, 16])


def test_changing_class_rechecks_attributes(config_manager, cls):
    ci = services.ci_create(actor=config_manager, ci_class=cls["server"], name="srv", attributes={"os": "linux"})
    with pytest.raises(ValidationError):
        services.ci_update(ci=ci, actor=config_manager, ci_class=cls["database"])  # "os" is not a database attribute
    ci = services.ci_update(ci=ci, actor=config_manager, ci_class=cls["database"], attributes={"engine": "mysql"})
    assert ci.ci_class == cls["database"] and ci.attributes == {"engine": "mysql"}


def test_update_bumps_the_version_and_refuses_stale_writes(config_manager, cls):
    ci = services.ci_create(actor=config_manager, ci_class=cls["server"], name="srv")
    ci = services.ci_update(ci=ci, actor=config_manager, expected_version=1, location="DC1")
    assert ci.version == 2
    with pytest.raises(StaleVersion):
        services.ci_update(ci=ci, actor=config_manager, expected_version=1, location="DC2")
    unchanged = services.ci_update(ci=ci, actor=config_manager, location="DC1")
    assert unchanged.version == 2


def test_bad_text_is_a_validation_error(config_manager, cls):
    with pytest.raises(ValidationError) as caught:
        services.ci_create(actor=config_manager, ci_class=cls["server"], name="a\x00b", status="broken")
    assert {"name", "status"} <= set(caught.value.message_dict)
    with pytest.raises(ValidationError):
        services.ci_create(actor=config_manager, ci_class=cls["server"], name="  ")
    with pytest.raises(ValidationError):
        services.ci_create(actor=config_manager, ci_class=cls["server"], name="x", external_id="42")


def test_only_configuration_managers_and_admins_edit(agent, requester, administrator, config_manager, cls):
    for refused in (agent, requester):
        with pytest.raises(NotPermitted):
            services.ci_create(actor=refused, ci_class=cls["server"], name="x")
    services.ci_create(actor=administrator, ci_class=cls["server"], name="by-admin")
    services.ci_create(actor=config_manager, ci_class=cls["server"], name="by-config")
    services.ci_create(actor=None, ci_class=cls["server"], name="by-system")


def test_relationship_rules(config_manager, rel_types):
    a, b = CIFactory(name="a"), CIFactory(name="b")
    services.relationship_create(actor=config_manager, source=a, target=b, type=rel_types["depends_on"])
    with pytest.raises(ValidationError):
        services.relationship_create(actor=config_manager, source=a, target=a, type=rel_types["depends_on"])
    with pytest.raises(ValidationError):
        services.relationship_create(actor=config_manager, source=a, target=b, type=rel_types["depends_on"])
    # the same pair with another type, and a cycle, are allowed
    services.relationship_create(actor=config_manager, source=a, target=b, type=rel_types["runs_on"])
    services.relationship_create(actor=config_manager, source=b, target=a, type=rel_types["depends_on"])
    assert Relationship.objects.count() == 3


def test_redundancy_group_holds_only_the_cis_own_relationships(config_manager, rel_types):
    cluster, other = CIFactory(name="cluster"), CIFactory(name="other")
    mine = services.relationship_create(actor=config_manager, source=cluster, target=CIFactory(),
                                        type=rel_types["contains"])
    theirs = services.relationship_create(actor=config_manager, source=other, target=CIFactory(),
                                          type=rel_types["contains"])
    with pytest.raises(ValidationError):
        services.redundancy_group_create(actor=config_manager, ci=cluster, name="web", min_up=2,
                                         relationships=[theirs])
    group = services.redundancy_group_create(actor=config_manager, ci=cluster, name="web", min_up=2,
                                             relationships=[mine])
    assert list(group.relationships.all()) == [mine]
    with pytest.raises(ValidationError):
        services.relationship_update(relationship=theirs, actor=config_manager, redundancy_group=group)


def test_delete_is_refused_while_tickets_name_the_ci(config_manager, make_incident, agent, team):
    from servicedesk import services as desk

    ci = CIFactory()
    desk.ticket_link_cis(ticket=make_incident(), actor=agent, cis=[ci])
    with pytest.raises(DomainError):
        services.ci_delete(ci=ci, actor=config_manager)
    spare = CIFactory()
    services.ci_delete(ci=spare, actor=config_manager)
    assert not ConfigurationItem.objects.filter(pk=spare.pk).exists()


def test_every_change_is_in_the_history_with_its_actor(config_manager, cls, rel_types):
    ci = services.ci_create(actor=config_manager, ci_class=cls["server"], name="srv")
    services.ci_update(ci=ci, actor=config_manager, location="DC1")
    services.relationship_create(actor=config_manager, source=CIFactory(), target=ci, type=rel_types["runs_on"])

    events = list(ci_history(ci))

    assert [(e.pgh_model, e.pgh_label) for e in events] == [
        ("cmdb.RelationshipEvent", "insert"), ("cmdb.ConfigurationItemEvent", "update"),
        ("cmdb.ConfigurationItemEvent", "insert")]
    assert events[1].pgh_diff["location"] == ["", "DC1"]
    assert all(e.pgh_context["actor"] == config_manager.pk for e in events)
    assert Events.objects.references(ci).exists()


def test_stale_job_flags_imported_cis_not_seen_and_is_idempotent(settings, config_manager, cls):
    settings.CMDB_STALE_DAYS = 7
    now = datetime.datetime.now(datetime.UTC)
    old = CIFactory(source="discovery", external_id="1", last_seen_at=now - datetime.timedelta(days=8))
    CIFactory(source="discovery", external_id="2", last_seen_at=now - datetime.timedelta(days=2))
    CIFactory(last_seen_at=now - datetime.timedelta(days=30))  # not imported: never stale
    CIFactory(source="discovery", external_id="3", last_seen_at=now - datetime.timedelta(days=30), status="retired")

    assert flag_stale_cis() == 1
    assert flag_stale_cis() == 0
    old.refresh_from_db()
    assert old.stale_since is not None
    services.ci_clear_stale(ci=old, actor=config_manager)
    old.refresh_from_db()
    assert old.stale_since is None


def test_catalogue_lineage_is_cycle_safe(cls):
    catalogue = ClassCatalogue()
    assert [c.slug for c in catalogue.lineage(cls["virtual_server"].pk)] == ["server", "virtual_server"]
    assert catalogue.descendants(cls["server"].pk) == {cls[s].pk for s in ("server", "physical_server",
                                                                            "virtual_server")}
