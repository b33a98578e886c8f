"""Defaults every installation needs: role groups, the ITIL priority matrix, CI classes, categories."""

from django.db import migrations

from accounts.roles import sync_roles

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

CATEGORIES = {
    "Hardware": ["Laptop or desktop", "Printer", "Phone", "Monitor and peripherals"],
    "Software": ["Business application", "Office software", "Installation request", "Licence"],
    "Network": ["Wi-Fi", "VPN", "Internet access", "Slowness"],
    "Access": ["Password or account locked", "Permissions", "New account"],
    "E-mail and collaboration": ["E-mail", "Calendar", "Chat and video calls"],
    "Security": ["Phishing", "Malware", "Lost or stolen device"],
}


def forwards(apps, schema_editor):
    sync_roles(apps)

    PriorityMatrix = apps.get_model("incidents", "PriorityMatrix")
    for impact in (1, 2, 3):
        for urgency in (1, 2, 3):
            PriorityMatrix.objects.get_or_create(impact=impact, urgency=urgency,
                                                 defaults={"priority": impact + urgency - 1})

    CIClass = apps.get_model("cmdb", "CIClass")
    for slug, name, parent in CI_CLASSES:
        CIClass.objects.get_or_create(
            slug=slug, defaults={"name": name, "parent": CIClass.objects.get(slug=parent) if parent else None}
        )

    Category = apps.get_model("servicedesk", "Category")
    for parent_name, children in CATEGORIES.items():
        parent, _ = Category.objects.get_or_create(name=parent_name, parent=None)
        for child in children:
            Category.objects.get_or_create(name=child, parent=parent)


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0001_initial"),
        ("servicedesk", "0001_initial"),
        ("cmdb", "0001_initial"),
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
