"""CAB routing: which approver groups authorise a change, as steps for the approval engine.

Rules (``CabRule``, kept by change managers) match a change by type, by risk level (the rule's level
and above) and optionally by service (the change's own service or one its CIs endanger). Every
matching rule gives one step with its group, in rule order; a group named by several rules decides
once. Emergency changes match the emergency rules only (the emergency CAB). A very high risk adds a
last step for the chairs of those groups: all of them decide.
"""

from django.utils.translation import gettext as _

from .choices import RISK_ORDER, RiskLevel
from .models import CabRule


def matching_rules(ticket, change, service_ids: list[int]) -> list[CabRule]:
    level = change.risk_level or RiskLevel.LOW
    rank = RISK_ORDER.index(level)
    allowed_levels = [str(lvl) for lvl in RISK_ORDER[: rank + 1]]
    services = set(service_ids)
    if ticket.service_id:
        services.add(ticket.service_id)
    rules = (CabRule.objects.filter(active=True, group__active=True, change_type=change.change_type,
                                    min_risk_level__in=allowed_levels)
             .select_related("group").order_by("order", "id"))
    return [rule for rule in rules if rule.service_id is None or rule.service_id in services]


def steps_for(ticket, change, service_ids: list[int]) -> list:
    """The approval steps (``servicedesk.approvals.StepSpec``) for ``change``; ``service_ids`` are the
    business services it endangers (from its risk assessment)."""
    from servicedesk.approvals import StepSpec

    steps, seen, chairs = [], set(), []
    for rule in matching_rules(ticket, change, service_ids):
        if rule.group_id in seen:
            continue
        seen.add(rule.group_id)
        steps.append(StepSpec(name=rule.group.name, policy=rule.policy, threshold=rule.threshold,
                              groups=(rule.group,)))
        if rule.group.chair_id and rule.group.chair_id not in chairs:
            chairs.append(rule.group.chair_id)
    if steps and change.risk_level == RiskLevel.VERY_HIGH and chairs:
        steps.append(StepSpec(name=_("CAB chair sign-off (very high risk)"), policy="all", users=tuple(chairs)))
    return steps
