"""Defaults every installation needs: CI classes with attributes, relationship types, and the right to edit.

Idempotent (get_or_create) so it can run on databases where another app's data migration already
created some of the classes (incidents 0002 creates the class list too).
"""

from django.db import migrations

CI_CLASSES = [
    ("business_service", "Business service", None),
    ("application", "Application", None),
    ("database", "Database", None),
    ("server", "Server", None),
    ("physical_server", "Physical server", "server"),
    ("virtual_server", "Virtual server", "server"),
    ("network_device", "Network device", None),
    ("storage", "Storage", None),
    ("cloud_resource", "Cloud resource", None),
    ("container_cluster", "Container/cluster", None),
    ("end_user_device", "End-user device", None),
    ("software", "Software", None),
]

# class slug -> [(key, label, type, required, choices)]
ATTRIBUTES = {
    "business_service": [("service_hours", "Service hours", "text", False, ["24x7", "business hours"])],
    "application": [("version", "Version", "text", False, []), ("url", "URL", "text", False, [])],
    "database": [("engine", "Engine", "text", False, ["postgresql", "mysql", "oracle", "sqlserver", "mongodb", "other"]),
                 ("version", "Version", "text", False, [])],
    "server": [("os", "Operating system", "text", False, ["linux", "windows", "unix", "other"]),
               ("cpu_count", "CPUs", "integer", False, []), ("memory_gb", "Memory (GB)", "integer", False, []),
               ("ip_address", "IP address", "text", False, [])],
    "physical_server": [("rack", "Rack", "text", False, [])],
    "virtual_server": [("hypervisor", "Hypervisor", "text", False, ["vmware", "kvm", "hyper-v", "xen", "other"])],
    "network_device": [("device_type", "Device type", "text", True,
                        ["switch", "router", "firewall", "load balancer", "access point"]),
                       ("ports", "Ports", "integer", False, []), ("ip_address", "IP address", "text", False, [])],
    "storage": [("capacity_tb", "Capacity (TB)", "decimal", False, [])],
    "cloud_resource": [("provider", "Provider", "text", True, ["aws", "azure", "gcp", "other"]),
                       ("region", "Region", "text", False, []), ("resource_id", "Resource id", "text", False, [])],
    "container_cluster": [("platform", "Platform", "text", False, ["kubernetes", "openshift", "docker swarm", "other"]),
                          ("node_count", "Nodes", "integer", False, [])],
    "end_user_device": [("device_type", "Device type", "text", True, ["laptop", "desktop", "phone", "tablet"]),
                        ("os", "Operating system", "text", False, [])],
    "software": [("version", "Version", "text", False, []), ("licence_count", "Licences", "integer", False, [])],
}

RELATIONSHIP_TYPES = [
    ("depends_on", "depends on", "used by", True),
    ("runs_on", "runs on", "hosts", True),
    ("connects_to", "connects to", "connected from", True),
    ("contains", "contains", "part of", True),
    ("backed_up_by", "backed up by", "backs up", False),
]

EDITOR_ROLES = ["Configuration manager", "Administrator"]


def forwards(apps, schema_editor):
    CIClass = apps.get_model("cmdb", "CIClass")
    CIAttribute = apps.get_model("cmdb", "CIAttribute")
    RelationshipType = apps.get_model("cmdb", "RelationshipType")
    for slug, name, parent in CI_CLASSES:
        CIClass.objects.get_or_create(
            slug=slug, defaults={"name": name, "parent": CIClass.objects.get(slug=parent) if parent else None}
        )
    for slug, attributes in ATTRIBUTES.items():
        ci_class = CIClass.objects.get(slug=slug)
        for order, (key, label, type_, required, choices) in enumerate(attributes):
            CIAttribute.objects.get_or_create(ci_class=ci_class, key=key, defaults={
                "name": label, "type": type_, "required": required, "choices": choices, "order": order})
    for slug, name, reverse_name, propagates in RELATIONSHIP_TYPES:
        RelationshipType.objects.get_or_create(slug=slug, defaults={
            "name": name, "reverse_name": reverse_name, "propagates_impact": propagates})

    # The right to edit the CMDB, for configuration managers and administrators (agents only read).
    from django.contrib.auth.management import create_permissions

    app_config = apps.get_app_config("cmdb")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="cmdb", codename="manage_cmdb")
    for role in EDITOR_ROLES:
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("cmdb", "0002_cmdb_model"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
