"""Who may see satisfaction results and who may edit survey policies (docs/architecture.md, rule 7).

Results and the low-score queue: ``surveys.view_satisfaction`` (team leads, service level managers,
administrators; ``accounts.roles.can_view_satisfaction``). Policies: those of them who also hold
``surveys.change_surveypolicy``, granted to service level managers and administrators by migration
``surveys.0002``.
"""

from accounts.roles import can_view_satisfaction, can_work_tickets
from esm.access import console_guard

CHANGE_POLICY = "surveys.change_surveypolicy"


def can_manage_policies(user) -> bool:
    return bool(can_view_satisfaction(user) and user.has_perm(CHANGE_POLICY))


satisfaction_required = console_guard(can_view_satisfaction, staff=can_work_tickets)
policies_required = console_guard(can_manage_policies, staff=can_work_tickets)

__all__ = ["can_manage_policies", "can_view_satisfaction", "policies_required", "satisfaction_required"]
