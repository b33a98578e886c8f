"""Roles are Django groups created by a migration; each carries the permissions it needs.

Code asks about capabilities (``can_work_tickets``), never about group names, so an administrator
can compose new roles from the same permissions in the admin.
"""

from django.utils.translation import gettext_lazy as _

REQUESTER = "Requester"
AGENT = "Agent"
TEAM_LEAD = "Team lead"
PROBLEM_MANAGER = "Problem manager"
CHANGE_MANAGER = "Change manager"
CAB_MEMBER = "CAB member"
CONFIGURATION_MANAGER = "Configuration manager"
SERVICE_LEVEL_MANAGER = "Service level manager"
CATALOG_MANAGER = "Catalog manager"
KNOWLEDGE_MANAGER = "Knowledge manager"
ADMINISTRATOR = "Administrator"

ROLE_LABELS = {
    REQUESTER: _("Requester"),
    AGENT: _("Agent"),
    TEAM_LEAD: _("Team lead"),
    PROBLEM_MANAGER: _("Problem manager"),
    CHANGE_MANAGER: _("Change manager"),
    CAB_MEMBER: _("CAB member"),
    CONFIGURATION_MANAGER: _("Configuration manager"),
    SERVICE_LEVEL_MANAGER: _("Service level manager"),
    CATALOG_MANAGER: _("Catalog manager"),
    KNOWLEDGE_MANAGER: _("Knowledge manager"),
    ADMINISTRATOR: _("Administrator"),
}

# Permission codenames ("app_label.codename") granted to each role.
WORK_TICKETS = "servicedesk.work_ticket"
VIEW_ALL_TICKETS = "servicedesk.view_all_tickets"
MANAGE_MAJOR_INCIDENTS = "incidents.manage_major_incident"
MANAGE_CHANGES = "changes.manage_changes"
# Categories, items, forms, task templates and approval rules of the service catalog.
MANAGE_CATALOG = "catalog.manage_catalog"
# Problem records' lifecycle, root-cause analysis, the known-error database and problem candidates.
MANAGE_PROBLEMS = "problems.manage_problems"
# Knowledge bases, publishing and retiring articles.
MANAGE_KNOWLEDGE = "knowledge.manage_knowledge"
# Satisfaction results (CSAT) and the low-score queue.
VIEW_SATISFACTION = "surveys.view_satisfaction"
# Record an approval decision for another approver (servicedesk/approvals.py); a group's chair may
# do so for its members without it.
DECIDE_FOR_OTHERS = "servicedesk.decide_for_others"

DESK_PERMISSIONS = [WORK_TICKETS, VIEW_ALL_TICKETS]
ROLE_PERMISSIONS: dict[str, list[str]] = {
    REQUESTER: [],
    AGENT: DESK_PERMISSIONS,
    TEAM_LEAD: [*DESK_PERMISSIONS, MANAGE_MAJOR_INCIDENTS, VIEW_SATISFACTION],
    PROBLEM_MANAGER: [*DESK_PERMISSIONS, MANAGE_PROBLEMS],
    CHANGE_MANAGER: [*DESK_PERMISSIONS, MANAGE_CHANGES],
    CAB_MEMBER: DESK_PERMISSIONS,
    CONFIGURATION_MANAGER: DESK_PERMISSIONS,
    SERVICE_LEVEL_MANAGER: [*DESK_PERMISSIONS, VIEW_SATISFACTION],
    CATALOG_MANAGER: [*DESK_PERMISSIONS, MANAGE_CATALOG],
    KNOWLEDGE_MANAGER: [*DESK_PERMISSIONS, MANAGE_KNOWLEDGE],
    ADMINISTRATOR: [*DESK_PERMISSIONS, MANAGE_MAJOR_INCIDENTS, MANAGE_CHANGES, DECIDE_FOR_OTHERS,
                    MANAGE_CATALOG, MANAGE_PROBLEMS, MANAGE_KNOWLEDGE, VIEW_SATISFACTION],
}


def can_work_tickets(user) -> bool:
    """Agents and every other desk role: may see the console and work any ticket."""
    return bool(user and user.is_authenticated and user.is_active and user.has_perm(WORK_TICKETS))


def can_manage_major_incidents(user) -> bool:
    """Team leads and administrators: may declare a major incident and stand it down."""
    return bool(can_work_tickets(user) and user.has_perm(MANAGE_MAJOR_INCIDENTS))


def can_manage_changes(user) -> bool:
    """Change managers and administrators: templates, freeze windows, CAB rules and guard overrides."""
    return bool(can_work_tickets(user) and user.has_perm(MANAGE_CHANGES))


def can_manage_catalog(user) -> bool:
    """Catalog managers and administrators: the catalog editor."""
    return bool(can_work_tickets(user) and user.has_perm(MANAGE_CATALOG))


def can_manage_problems(user) -> bool:
    """Problem managers and administrators: problem lifecycle, known errors, candidates."""
    return bool(can_work_tickets(user) and user.has_perm(MANAGE_PROBLEMS))


def can_manage_knowledge(user) -> bool:
    """Knowledge managers and administrators: knowledge bases, publishing and retiring articles."""
    return bool(can_work_tickets(user) and user.has_perm(MANAGE_KNOWLEDGE))


def can_view_satisfaction(user) -> bool:
    """Team leads, service level managers and administrators: CSAT results and low scores."""
    return bool(can_work_tickets(user) and user.has_perm(VIEW_SATISFACTION))


def sync_roles(apps) -> None:
    """Create the role groups and grant their permissions. Used by data migrations; idempotent.

    Permissions are normally created after ``migrate`` finishes; create them first so a fresh
    database gets complete roles in one pass.
    """
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, perms in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=role)
        for dotted in perms:
            app_label, codename = dotted.split(".")
            permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if permission is not None:
                group.permissions.add(permission)
