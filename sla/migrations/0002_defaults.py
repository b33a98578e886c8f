"""Defaults for a fresh installation: two calendars, incident SLAs per priority, one OLA, one UC,
escalation rules, and the service level manager's permissions (docs/sla.md, "Defaults")."""

import datetime

from django.conf import settings
from django.db import migrations

HOUR = 3600
BUSINESS_DAY = 8 * HOUR
MINUTE = 60

# name, priority, 24x7?, response, resolution
INCIDENT_SLAS = [
    ("Incident P1 - Critical", 1, True, 15 * MINUTE, 4 * HOUR),
    ("Incident P2 - High", 2, True, 30 * MINUTE, 8 * HOUR),
    ("Incident P3 - Moderate", 3, False, 4 * HOUR, 3 * BUSINESS_DAY),
    ("Incident P4 - Low", 4, False, 8 * HOUR, 5 * BUSINESS_DAY),
    ("Incident P5 - Planning", 5, False, 2 * BUSINESS_DAY, 10 * BUSINESS_DAY),
]
MANAGER_PERMISSIONS = ["manage_sla", "add_sladefinition", "change_sladefinition", "view_sladefinition",
                       "add_calendar", "change_calendar", "view_calendar", "view_clock"]


def load(apps, schema_editor):
    from accounts.roles import sync_roles

    sync_roles(apps)
    Calendar = apps.get_model("sla", "Calendar")
    CalendarHours = apps.get_model("sla", "CalendarHours")
    SlaDefinition = apps.get_model("sla", "SlaDefinition")
    SlaTarget = apps.get_model("sla", "SlaTarget")
    EscalationRule = apps.get_model("sla", "EscalationRule")

    always, created = Calendar.objects.get_or_create(
        name="24x7", defaults={"time_zone": "UTC", "description": "Always open."})
    if created:
        midnight = datetime.time(0, 0)
        CalendarHours.objects.bulk_create([CalendarHours(calendar=always, weekday=d, start=midnight, end=midnight)
                                           for d in range(7)])
    office, created = Calendar.objects.get_or_create(
        name="Business hours", defaults={"time_zone": settings.TIME_ZONE,
                                         "description": "Monday to Friday, 09:00-17:00."})
    if created:
        CalendarHours.objects.bulk_create([
            CalendarHours(calendar=office, weekday=d, start=datetime.time(9), end=datetime.time(17)) for d in range(5)])

    for order, (name, priority, round_the_clock, response, resolution) in enumerate(INCIDENT_SLAS, start=1):
        definition, created = SlaDefinition.objects.get_or_create(name=name, defaults={
            "type": "sla", "order": order * 10, "calendar": always if round_the_clock else office,
            "kinds": ["incident"], "priorities": [priority], "pause_on": ["on_hold:awaiting_caller"],
            "warn_at": [50, 75, 90],
            "description": f"Default incident SLA for P{priority}."})
        if not created:
            continue
        SlaTarget.objects.bulk_create([SlaTarget(definition=definition, metric="response", seconds=response),
                                       SlaTarget(definition=definition, metric="resolution", seconds=resolution)])
        rules = [EscalationRule(definition=definition, threshold=75, action="notify_assignee"),
                 EscalationRule(definition=definition, threshold=100, action="notify_team_lead")]
        if priority <= 2:
            rules.append(EscalationRule(definition=definition, threshold=100, action="notify_service_owner"))
        EscalationRule.objects.bulk_create(rules)

    ola, created = SlaDefinition.objects.get_or_create(name="Team handling (OLA)", defaults={
        "type": "ola", "order": 100, "calendar": office, "kinds": ["incident"],
        "pause_on": ["on_hold"], "warn_at": [75],
        "description": "Each team acknowledges within 2 business hours and hands on or resolves within 2 business days."})
    if created:
        SlaTarget.objects.bulk_create([SlaTarget(definition=ola, metric="response", seconds=2 * HOUR),
                                       SlaTarget(definition=ola, metric="resolution", seconds=2 * BUSINESS_DAY)])
        EscalationRule.objects.create(definition=ola, threshold=100, action="notify_team_lead")
    uc, created = SlaDefinition.objects.get_or_create(name="Vendor support (UC)", defaults={
        "type": "uc", "order": 100, "calendar": office, "kinds": ["incident"], "pause_on": [],
        "run_on": ["on_hold:awaiting_vendor"], "warn_at": [75],
        "description": "Vendors answer tickets put on hold awaiting them within 3 business days."})
    if created:
        SlaTarget.objects.create(definition=uc, metric="resolution", seconds=3 * BUSINESS_DAY)
        EscalationRule.objects.create(definition=uc, threshold=100, action="notify_assignee")

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(Permission.objects.filter(content_type__app_label="sla", codename__in=MANAGER_PERMISSIONS))
    for role in ("Service level manager", "Administrator"):
        group, _created = Group.objects.get_or_create(name=role)
        group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("sla", "0001_initial"),
        ("accounts", "0001_initial"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
