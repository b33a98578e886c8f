"""Who may open the change console pages (docs/architecture.md, rule 7).

Every desk role works changes; the management pages (templates, freeze windows, CAB rules) and the
metrics are for people holding ``changes.manage_changes``. Others on the desk get a 403 there,
requesters are sent to the portal (``esm.access.console_guard``).
"""

from accounts.roles import can_work_tickets
from esm.access import console_guard

MANAGE_CHANGES = "changes.manage_changes"


def can_manage(user) -> bool:
    return bool(can_work_tickets(user) and user.has_perm(MANAGE_CHANGES))


manager_required = console_guard(can_manage, staff=can_work_tickets)
