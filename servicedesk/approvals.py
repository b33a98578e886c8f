"""One approval engine for every process (docs/architecture.md, "Approvals").

A process asks for an approval with ``approval_request`` and a list of ``StepSpec``: ordered steps,
each with its approvers (named people, approver groups such as a CAB, roles or permissions) and a
policy (everyone, any one, a quorum, a percentage). Approvers are expanded to people when the
approval is asked and kept as ``ApprovalVote`` rows; ``approval_vote`` records each decision as an
immutable ``ApprovalDecision`` and decides the step, then the approval, by the step's policy.

The engine knows no process: who may not approve a ticket (segregation of duties) and what happens
to the ticket when the approval is decided come from the process's registration
(``Process.approval_excluded``, ``Process.approval_decided``, servicedesk/registry.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from esm.batch import read_prepared
from esm.errors import DomainError, NotPermitted
from esm.services import service

from . import registry, signals
from .choices import EventKind
from .models import (
    ApprovalDecision,
    ApprovalDelegation,
    ApprovalPolicy,
    ApprovalStep,
    ApprovalStepState,
    ApprovalVote,
    ApproverGroup,
    Decision,
    Ticket,
    TimeoutAction,
    VoteState,
)
from .notifications import notify
from .rendering import MAX_BODY_CHARS

DECIDE_FOR_OTHERS = "servicedesk.decide_for_others"
MAX_STEPS = 20

# What an overview says when the viewer cannot vote now (codes in the API, texts on pages).
CANNOT_VOTE = {
    "no_pending_step": gettext_lazy("No approval is waiting for decisions."),
    "not_an_approver": gettext_lazy("You are not an approver of the current step."),
    "excluded": gettext_lazy("You cannot approve this ticket: you take part in it (segregation of duties)."),
    "already_decided": gettext_lazy("You have already decided on the current step."),
}


class ApprovalConflict(DomainError):
    """No approval is waiting (409), or the vote was already cast."""

    code = "approval_conflict"


class ApprovalRefused(NotPermitted):
    """The person may not decide this step (not an approver, excluded, or not allowed to decide for another)."""

    code = "approval_not_permitted"


@dataclass(frozen=True)
class StepSpec:
    """One step of an approval as a process asks for it.

    ``users`` are people (``User`` or ids), ``groups`` approver groups (``ApproverGroup`` or ids),
    ``roles`` names of Django auth groups ("CAB member") or permissions ("app.codename"); all are
    expanded to active people when the approval is asked. ``threshold`` is the number of approvals
    of a quorum or the percentage of a percent policy.
    """

    name: str
    policy: str
    threshold: int | None = None
    users: tuple = ()
    groups: tuple = ()
    roles: tuple = ()
    # Facts of this step for the process (merged over the round's ``context``), e.g. the item it approves.
    context: dict | None = None
    # Time-out after the step starts: approve, reject or escalate to an approver group (or id).
    timeout_hours: int | None = None
    timeout_action: str = ""
    escalate_to: Any = None


# --- Policies -------------------------------------------------------------------------------


def required_approvals(policy: str, threshold: int | None, approvers: int) -> int:
    """How many approvals decide a step with ``approvers`` people."""
    if policy == ApprovalPolicy.ALL:
        return approvers
    if policy == ApprovalPolicy.ANY:
        return min(1, approvers)
    if policy == ApprovalPolicy.QUORUM:
        return threshold or 0
    # Percent: ceil(P/100 × approvers) in integers, at least one approval.
    return max(1, -(-(threshold or 0) * approvers // 100))


def evaluate(policy: str, threshold: int | None, *, approved: int, rejected: int, pending: int) -> str | None:
    """The step's outcome (``approved``/``rejected``) once its policy is met or can no longer be met."""
    if policy == ApprovalPolicy.ALL:
        if rejected:
            return ApprovalStepState.REJECTED
        return ApprovalStepState.APPROVED if not pending else None
    if policy == ApprovalPolicy.ANY:
        if approved:
            return ApprovalStepState.APPROVED
        return ApprovalStepState.REJECTED if not pending else None
    need = required_approvals(policy, threshold, approved + rejected + pending)
    if approved >= need:
        return ApprovalStepState.APPROVED
    if approved + pending < need:
        return ApprovalStepState.REJECTED
    return None


# --- Process hooks --------------------------------------------------------------------------


def excluded_ids(ticket: Ticket) -> set[int]:
    """People the ticket's process does not let approve it (segregation of duties), as user ids."""
    process = registry.find(ticket.kind)
    if process is None or process.approval_excluded is None:
        return set()
    return {int(pk) for pk in process.approval_excluded(ticket) if pk is not None}


# --- Expanding approvers --------------------------------------------------------------------


def _ids(values, model) -> list[int]:
    return [v.pk if isinstance(v, model) else int(v) for v in values]


def _role_members(step_name: str, role: str) -> list[int]:
    """Active people holding ``role``: an auth group's name, or an "app.codename" permission."""
    if "." in role:
        app_label, codename = role.split(".", 1)
        permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
        if permission is None:
            raise ValidationError({"steps": _("Step “%(step)s”: there is no permission %(role)s.")
                                   % {"step": step_name, "role": role}})
        # Explicit grants only: a superuser holds every permission implicitly and is not thereby
        # an approver of everything.
        users = User.objects.filter(Q(groups__permissions=permission) | Q(user_permissions=permission))
    else:
        if not Group.objects.filter(name=role).exists():
            raise ValidationError({"steps": _("Step “%(step)s”: there is no role %(role)s.")
                                   % {"step": step_name, "role": role}})
        users = User.objects.filter(groups__name=role)
    return list(users.filter(is_active=True).order_by("id").values_list("id", flat=True).distinct())


def _expand(spec: StepSpec) -> list[tuple[int, int | None, str]]:
    """(user id, via group id, via role) for each approver of ``spec``, the first reason kept."""
    seen: dict[int, tuple[int, int | None, str]] = {}
    for pk in User.objects.filter(pk__in=_ids(spec.users, User), is_active=True).order_by("id") \
            .values_list("id", flat=True):
        seen.setdefault(pk, (pk, None, ""))
    group_ids = _ids(spec.groups, ApproverGroup)
    groups = {g.pk: g for g in ApproverGroup.objects.filter(pk__in=group_ids)}
    for group_id in group_ids:
        group = groups.get(group_id)
        if group is None or not group.active:
            raise ValidationError({"steps": _("Step “%(step)s”: approver group %(group)s is not active.")
                                   % {"step": spec.name, "group": group.name if group else group_id}})
    members = ApproverGroup.members.through.objects.filter(
        approvergroup_id__in=group_ids, user__is_active=True).order_by("user_id").values_list("approvergroup_id",
                                                                                                "user_id")
    by_group = defaultdict(list)
    for group_id, user_id in members:
        by_group[group_id].append(user_id)
    for group_id in group_ids:
        for pk in by_group[group_id]:
            seen.setdefault(pk, (pk, group_id, ""))
    for role in spec.roles:
        for pk in _role_members(spec.name, role):
            seen.setdefault(pk, (pk, None, role))
    return list(seen.values())


def _timeout_fields(spec: StepSpec) -> dict:
    if not spec.timeout_hours or not spec.timeout_action:
        return {}
    escalate_to = spec.escalate_to.pk if isinstance(spec.escalate_to, ApproverGroup) else spec.escalate_to
    return {"timeout_hours": spec.timeout_hours, "timeout_action": spec.timeout_action,
            "escalate_to_id": escalate_to if spec.timeout_action == TimeoutAction.ESCALATE else None}


def _start_clock(step: ApprovalStep, now) -> None:
    """A step that starts with a time-out gets its due instant (found by the beat scan)."""
    if step.timeout_hours and step.timeout_action:
        step.due_at = now + timedelta(hours=step.timeout_hours)
        ApprovalStep.objects.filter(pk=step.pk).update(due_at=step.due_at)


def _check_spec(spec: StepSpec) -> None:
    name = (spec.name or "").strip()
    if not name or len(name) > 120 or "\x00" in name:
        raise ValidationError({"steps": _("Each step needs a name of at most 120 characters.")})
    if spec.policy not in ApprovalPolicy.values:
        raise ValidationError({"steps": _("Step “%(step)s”: unknown policy %(policy)s.")
                               % {"step": name, "policy": spec.policy}})
    if spec.policy == ApprovalPolicy.QUORUM and not (spec.threshold and spec.threshold >= 1):
        raise ValidationError({"steps": _("Step “%(step)s”: a quorum needs a number of approvals.") % {"step": name}})
    if spec.policy == ApprovalPolicy.PERCENT and not (spec.threshold and 1 <= spec.threshold <= 100):
        raise ValidationError({"steps": _("Step “%(step)s”: a percentage must be between 1 and 100.")
                               % {"step": name}})
    if spec.timeout_action and spec.timeout_action not in TimeoutAction.values:
        raise ValidationError({"steps": _("Step “%(step)s”: unknown time-out action %(action)s.")
                               % {"step": name, "action": spec.timeout_action}})
    if spec.timeout_action == TimeoutAction.ESCALATE and spec.timeout_hours and not spec.escalate_to:
        raise ValidationError({"steps": _("Step “%(step)s”: an escalation needs an approver group.") % {"step": name}})


# --- Writes ---------------------------------------------------------------------------------


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)


def _record(ticket: Ticket, actor: User | None, kind: str, **data) -> None:
    from .services import timeline_record

    timeline_record(ticket=ticket, actor=actor, kind=kind, **data)


def _mark_updated(ticket: Ticket, at) -> None:
    # Like a comment, approval activity moves ``updated_at`` but not the version: a vote does not
    # make an open edit form stale. The process's own move of the ticket bumps the version.
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=at)


def _current_round(ticket: Ticket) -> int:
    last = ApprovalStep.objects.filter(ticket=ticket).order_by("-round").values_list("round", flat=True).first()
    return last or 0


def _cancel_open(ticket: Ticket, now) -> list[ApprovalStep]:
    """Cancel the steps still open (pending or waiting) and release their pending votes."""
    open_steps = list(ApprovalStep.objects.select_for_update().filter(
        ticket=ticket, state__in=[ApprovalStepState.PENDING, ApprovalStepState.WAITING]).order_by("round", "order"))
    if open_steps:
        ids = [s.pk for s in open_steps]
        ApprovalStep.objects.filter(pk__in=ids).update(state=ApprovalStepState.CANCELLED, decided_at=now)
        ApprovalVote.objects.filter(step_id__in=ids, state=VoteState.PENDING).update(state=VoteState.NOT_REQUIRED)
    return open_steps


def _notify_approvers(ticket: Ticket, step: ApprovalStep) -> None:
    approvers = User.objects.filter(approval_votes__step=step, approval_votes__state=VoteState.PENDING)
    notify(ticket=ticket, recipients=list(approvers), reason="approval_requested",
           context={"step_name": step.name, "step": step,
                    "policy_label": lambda: str(ApprovalPolicy(step.policy).label),
                    "approvals_url": _absolute_approvals_url()})


def _absolute_approvals_url() -> str:
    from django.conf import settings
    from django.urls import reverse

    return settings.SITE_URL + reverse("desk:approvals")


@service
def approval_request(*, actor: User | None, ticket: Ticket, steps: list[StepSpec],
                     context: dict | None = None) -> list[ApprovalStep]:
    """Open a new approval round on ``ticket``: the first step pending, the others waiting.

    Any round still open is cancelled first (its pending votes become not required). Approvers are
    expanded to people now — later changes to a group or role do not change who decides this round
    — and the people the process excludes are left out. A step left without an eligible approver,
    or whose quorum or percentage can never be met, is a ``ValidationError`` naming the step.
    The approvers of the first step are e-mailed (outbox, sent after commit).
    """
    if not steps:
        raise ValidationError({"steps": _("An approval needs at least one step.")})
    if len(steps) > MAX_STEPS:
        raise ValidationError({"steps": _("An approval has at most %(n)s steps.") % {"n": MAX_STEPS}})
    for spec in steps:
        _check_spec(spec)
    ticket = _lock(ticket)
    excluded = excluded_ids(ticket)
    planned = []
    for spec in steps:
        approvers = [a for a in _expand(spec) if a[0] not in excluded]
        name = spec.name.strip()
        if not approvers:
            raise ValidationError({"steps": _("Step “%(step)s” has no eligible approver.") % {"step": name}})
        if spec.policy == ApprovalPolicy.QUORUM and spec.threshold > len(approvers):
            raise ValidationError({"steps": _("Step “%(step)s” needs %(n)s approvals but has only %(count)s "
                                              "eligible approvers.")
                                   % {"step": name, "n": spec.threshold, "count": len(approvers)}})
        planned.append((spec, name, approvers))

    now = timezone.now()
    cancelled = _cancel_open(ticket, now)
    if cancelled:
        _record(ticket, actor, EventKind.APPROVAL_CANCELLED, round=cancelled[0].round, reason="",
                superseded=True)
    round_no = _current_round(ticket) + 1
    created = []
    for order, (spec, name, approvers) in enumerate(planned, start=1):
        first = order == 1
        threshold = spec.threshold if spec.policy in (ApprovalPolicy.QUORUM, ApprovalPolicy.PERCENT) else None
        step = ApprovalStep.objects.create(
            ticket=ticket, round=round_no, order=order, name=name, policy=spec.policy, threshold=threshold,
            state=ApprovalStepState.PENDING if first else ApprovalStepState.WAITING,
            context={**(context or {}), **(spec.context or {})}, created_at=now, started_at=now if first else None,
            **_timeout_fields(spec))
        if first:
            _start_clock(step, now)
        ApprovalVote.objects.bulk_create(ApprovalVote(step=step, approver_id=user_id, via_group_id=group_id,
                                                      via_role=role) for user_id, group_id, role in approvers)
        created.append(step)
    _record(ticket, actor, EventKind.APPROVAL_REQUESTED, round=round_no,
            steps=[{"name": s.name, "policy": s.policy, "threshold": s.threshold,
                    "approvers": len(planned[i][2])} for i, s in enumerate(created)])
    _mark_updated(ticket, now)
    _notify_approvers(ticket, created[0])
    return created


def _pending_step(ticket: Ticket) -> ApprovalStep | None:
    return (ApprovalStep.objects.select_for_update().filter(ticket=ticket, state=ApprovalStepState.PENDING)
            .order_by("-round", "order").first())


def _check_comment(decision: str, comment: str) -> str:
    if decision not in Decision.values:
        raise ValidationError({"decision": _("Choose approve or reject.")})
    comment = (comment or "").strip()
    if decision == Decision.REJECT and not comment:
        raise ValidationError({"comment": _("Say why you reject it.")})
    if len(comment) > MAX_BODY_CHARS:
        raise ValidationError({"comment": _("The comment is too long.")})
    if "\x00" in comment:
        raise ValidationError({"comment": _("The comment contains invalid characters.")})
    return comment


def may_decide_for(actor: User, vote: ApprovalVote, chair_id: int | None) -> bool:
    """Whether ``actor`` may decide for the approver of ``vote``: the permission, or the chair of
    the group through which that approver sits (a delegation is checked by ``delegation_active``)."""
    if actor.has_perm(DECIDE_FOR_OTHERS):
        return True
    return bool(vote.via_group_id and chair_id and chair_id == actor.pk)


@service
def approval_vote(*, actor: User, ticket: Ticket, decision: str, comment: str = "",
                  on_behalf_of: User | None = None, context: dict | None = None) -> ApprovalDecision:
    """Record ``actor``'s decision (or, for a delegate, another approver's) on the pending step.

    Refused (``ApprovalRefused``, 403) for people who are not approvers of the pending step, people
    the process excludes now (even if they were not excluded when the approval was asked), and
    decisions for others without the right; ``ApprovalConflict`` (409) when no step is pending or
    the vote was already cast. When the step's policy is met or can no longer be met, the step is
    decided; the last step's approval, or any step's rejection, decides the approval and calls the
    process's ``approval_decided`` hook in this transaction.
    """
    comment = _check_comment(decision, comment)
    if on_behalf_of is not None and on_behalf_of.pk == actor.pk:
        on_behalf_of = None
    ticket = _lock(ticket)
    step = _pending_step(ticket)
    if step is None:
        raise ApprovalConflict(_("No approval of %(number)s is waiting for decisions.") % {"number": ticket.number},
                               code="no_pending_approval")
    whose = on_behalf_of or actor
    excluded = excluded_ids(ticket)
    if actor.pk in excluded or whose.pk in excluded:
        raise ApprovalRefused(_("%(name)s takes part in %(number)s and cannot approve it.")
                              % {"name": (actor if actor.pk in excluded else whose).display_name,
                                 "number": ticket.number}, code="approval_excluded")
    vote = (ApprovalVote.objects.select_for_update(of=("self",)).select_related("via_group")
            .filter(step=step, approver=whose).first())
    if vote is None:
        if on_behalf_of is not None:
            raise ApprovalRefused(_("%(name)s is not an approver of “%(step)s”.")
                                  % {"name": whose.display_name, "step": step.name}, code="not_an_approver")
        raise ApprovalRefused(_("You are not an approver of “%(step)s”.") % {"step": step.name},
                              code="not_an_approver")
    chair_id = vote.via_group.chair_id if vote.via_group else None
    if on_behalf_of is not None and not may_decide_for(actor, vote, chair_id) \
            and not delegation_active(delegator=whose, delegate=actor, at=timezone.now()):
        raise ApprovalRefused(_("You may not decide for %(name)s.") % {"name": whose.display_name},
                              code="on_behalf_not_permitted")
    if vote.state != VoteState.PENDING:
        raise ApprovalConflict(_("%(name)s has already decided on “%(step)s”.")
                               % {"name": whose.display_name, "step": step.name}, code="already_decided")

    now = timezone.now()
    row = ApprovalDecision.objects.create(step=step, vote=vote, decided_by=actor, on_behalf_of=on_behalf_of,
                                          decision=decision, comment=comment, at=now, context=context or {})
    vote.state = VoteState.APPROVED if decision == Decision.APPROVE else VoteState.REJECTED
    vote.save(update_fields=["state"])
    _record(ticket, actor, EventKind.APPROVAL_VOTE, round=step.round, step=step.name, decision=decision,
            text=comment, on_behalf_of_id=on_behalf_of.pk if on_behalf_of else None,
            on_behalf_of=on_behalf_of.display_name if on_behalf_of else None)
    _mark_updated(ticket, now)
    _decide_step(ticket, step, actor, now)
    return row


def _counts(step: ApprovalStep) -> dict[str, int]:
    return step.votes.aggregate(
        approved=Count("id", filter=Q(state=VoteState.APPROVED)),
        rejected=Count("id", filter=Q(state=VoteState.REJECTED)),
        pending=Count("id", filter=Q(state=VoteState.PENDING)),
    )


def _decide_step(ticket: Ticket, step: ApprovalStep, actor: User | None, now) -> None:
    outcome = evaluate(step.policy, step.threshold, **_counts(step))
    if outcome is not None:
        _close_step(ticket, step, outcome, actor, now)


def _close_step(ticket: Ticket, step: ApprovalStep, outcome: str, actor: User | None, now, **facts) -> None:
    """Decide ``step``: its open votes are no longer required, the next step starts or the round ends."""
    step.state = outcome
    step.decided_at = now
    step.due_at = None
    step.save(update_fields=["state", "decided_at", "due_at"])
    step.votes.filter(state=VoteState.PENDING).update(state=VoteState.NOT_REQUIRED)
    _record(ticket, actor, EventKind.APPROVAL_STEP, round=step.round, step=step.name, outcome=outcome, **facts)
    later = ApprovalStep.objects.filter(ticket=ticket, round=step.round, order__gt=step.order,
                                        state=ApprovalStepState.WAITING)
    if outcome == ApprovalStepState.APPROVED:
        following = later.select_for_update().order_by("order").first()
        if following is not None:
            following.state = ApprovalStepState.PENDING
            following.started_at = now
            following.save(update_fields=["state", "started_at"])
            _start_clock(following, now)
            _notify_approvers(ticket, following)
            return
    else:
        later.update(state=ApprovalStepState.CANCELLED, decided_at=now)
    _decide_approval(ticket, step.round, outcome, actor)


def _decide_approval(ticket: Ticket, round_no: int, outcome: str, actor: User | None) -> None:
    _record(ticket, actor, EventKind.APPROVAL_DECIDED, round=round_no, outcome=outcome)
    process = registry.find(ticket.kind)
    if process is not None and process.approval_decided is not None:
        process.approval_decided(ticket, outcome, actor)
    pk, kind, actor_id = ticket.pk, ticket.kind, getattr(actor, "pk", None)
    transaction.on_commit(lambda: signals.approval_decided.send(
        sender=Ticket, ticket_id=pk, kind=kind, round=round_no, outcome=outcome, actor_id=actor_id))


@service
def approval_cancel(*, actor: User | None, ticket: Ticket, reason: str = "") -> int:
    """Cancel the ticket's open round (a ticket cancelled or sent back); the number of steps cancelled.

    Pending votes become not required. Nothing open is not an error: cancelling twice is harmless.
    """
    reason = (reason or "").strip()
    if len(reason) > MAX_BODY_CHARS or "\x00" in reason:
        raise ValidationError({"reason": _("The reason is too long or contains invalid characters.")})
    ticket = _lock(ticket)
    now = timezone.now()
    cancelled = _cancel_open(ticket, now)
    if cancelled:
        _record(ticket, actor, EventKind.APPROVAL_CANCELLED, round=cancelled[0].round, reason=reason,
                superseded=False)
        _mark_updated(ticket, now)
    return len(cancelled)


# --- Reads ----------------------------------------------------------------------------------


def _person(pk, first, last, username) -> dict | None:
    from accounts.models import display_name

    if pk is None:
        return None
    return {"id": pk, "username": username, "display_name": display_name(first or "", last or "", username or "")}


def approval_overview(ticket: Ticket, user: User | None) -> dict[str, Any]:
    """Rounds → steps → votes and decisions of ``ticket``, and whether ``user`` can vote now.

    Three queries whatever the number of steps, votes and decisions, plus whatever the process's
    ``approval_excluded`` hook reads.
    """
    steps = list(ApprovalStep.objects.filter(ticket=ticket).order_by("round", "order").values(
        "id", "round", "order", "name", "policy", "threshold", "state", "context", "started_at", "decided_at"))
    step_ids = [s["id"] for s in steps]
    # Whether each approver has delegated to the viewer now, in the same query (no fourth read).
    viewer_id = user.pk if user is not None and user.is_authenticated else None
    now = timezone.now()
    delegated = Exists(ApprovalDelegation.objects.filter(
        delegator_id=OuterRef("approver_id"), delegate_id=viewer_id, revoked_at__isnull=True, starts_at__lte=now,
        ends_at__gt=now)) if viewer_id else Value(False)
    votes = list(ApprovalVote.objects.filter(step_id__in=step_ids).order_by("step_id", "id")
                 .annotate(delegated_to_viewer=delegated).values(
        "id", "step_id", "approver_id", "approver__first_name", "approver__last_name", "approver__username",
        "via_group_id", "via_group__name", "via_group__chair_id", "via_role", "state",
        "delegated_to_viewer")) if step_ids else []
    decisions = list(ApprovalDecision.objects.filter(step_id__in=step_ids).order_by("at", "id").values(
        "id", "step_id", "vote_id", "decided_by_id", "decided_by__first_name", "decided_by__last_name",
        "decided_by__username", "on_behalf_of_id", "on_behalf_of__first_name", "on_behalf_of__last_name",
        "on_behalf_of__username", "decision", "comment", "at", "context")) if step_ids else []

    votes_by_step, decisions_by_step = defaultdict(list), defaultdict(list)
    for v in votes:
        votes_by_step[v["step_id"]].append(v)
    for d in decisions:
        decisions_by_step[d["step_id"]].append(d)

    rounds: dict[int, dict] = {}
    pending_step = None
    for s in steps:
        step_votes = votes_by_step[s["id"]]
        counts = {state: sum(1 for v in step_votes if v["state"] == state) for state in VoteState.values}
        entry = {
            "id": s["id"], "order": s["order"], "name": s["name"], "policy": s["policy"],
            "policy_label": str(ApprovalPolicy(s["policy"]).label), "threshold": s["threshold"],
            "state": s["state"], "state_label": str(ApprovalStepState(s["state"]).label),
            "approved": counts[VoteState.APPROVED], "rejected": counts[VoteState.REJECTED],
            "pending": counts[VoteState.PENDING],
            "required": required_approvals(s["policy"], s["threshold"], len(step_votes)),
            "context": s["context"], "started_at": s["started_at"], "decided_at": s["decided_at"],
            "votes": [{
                "id": v["id"],
                "approver": _person(v["approver_id"], v["approver__first_name"], v["approver__last_name"],
                                    v["approver__username"]),
                "via_group": {"id": v["via_group_id"], "name": v["via_group__name"]} if v["via_group_id"] else None,
                "via_role": v["via_role"], "state": v["state"],
                "state_label": str(VoteState(v["state"]).label),
            } for v in step_votes],
            "decisions": [{
                "id": d["id"],
                "decided_by": _person(d["decided_by_id"], d["decided_by__first_name"], d["decided_by__last_name"],
                                      d["decided_by__username"]),
                "on_behalf_of": _person(d["on_behalf_of_id"], d["on_behalf_of__first_name"],
                                        d["on_behalf_of__last_name"], d["on_behalf_of__username"]),
                "decision": d["decision"], "decision_label": str(Decision(d["decision"]).label),
                "comment": d["comment"], "at": d["at"], "context": d["context"],
            } for d in decisions_by_step[s["id"]]],
        }
        rounds.setdefault(s["round"], {"round": s["round"], "steps": []})["steps"].append(entry)
        if s["state"] == ApprovalStepState.PENDING:
            pending_step = (s, step_votes)
    for r in rounds.values():
        r["state"] = _round_state([st["state"] for st in r["steps"]])

    can_vote, reason, delegable = False, None, []
    current = rounds[max(rounds)] if rounds else None
    if pending_step is None:
        reason = "no_pending_step"
    elif user is None or not user.is_authenticated:
        reason = "not_an_approver"
    else:
        step, step_votes = pending_step
        excluded = excluded_ids(ticket)
        mine = next((v for v in step_votes if v["approver_id"] == user.pk), None)
        if user.pk in excluded:
            reason = "excluded"
        else:
            if mine is None:
                reason = "not_an_approver"
            elif mine["state"] != VoteState.PENDING:
                reason = "already_decided"
            else:
                can_vote = True
            anyone = user.has_perm(DECIDE_FOR_OTHERS)
            delegable = [
                {"vote_id": v["id"], "approver": _person(v["approver_id"], v["approver__first_name"],
                                                         v["approver__last_name"], v["approver__username"])}
                for v in step_votes
                if v["state"] == VoteState.PENDING and v["approver_id"] != user.pk
                and v["approver_id"] not in excluded
                and (anyone or v["delegated_to_viewer"]
                     or (v["via_group_id"] and v["via_group__chair_id"] == user.pk))
            ]
    return {
        "ticket": ticket.number, "kind": ticket.kind,
        "state": current["state"] if current else None,
        "current_round": current["round"] if current else None,
        "rounds": list(rounds.values()),
        "can_vote": can_vote, "cannot_vote_reason": reason,
        "cannot_vote_text": str(CANNOT_VOTE[reason]) if reason else "",
        "may_decide_for": delegable,
    }


def _round_state(states: list[str]) -> str:
    if ApprovalStepState.REJECTED in states:
        return ApprovalStepState.REJECTED
    if ApprovalStepState.PENDING in states or ApprovalStepState.WAITING in states:
        return ApprovalStepState.PENDING
    if ApprovalStepState.CANCELLED in states:
        return ApprovalStepState.CANCELLED
    return ApprovalStepState.APPROVED


def pending_for(user: User) -> QuerySet:
    """``user``'s votes awaiting a decision on pending steps, across processes, as ``values()`` rows,
    with the votes of the people who delegated to ``user`` now (``approver_id`` tells them apart).

    One query per page: the step and ticket are joined; rows carry the ticket's kind, number,
    title and priority, the step's name, policy and threshold, and when the step was asked.
    """
    return (ApprovalVote.objects.filter(Q(approver=user) | Q(approver_id__in=delegators_query(user)),
                                        state=VoteState.PENDING, step__state=ApprovalStepState.PENDING)
            .values("id", "step_id", "approver_id", step_name=F("step__name"), policy=F("step__policy"),
                    threshold=F("step__threshold"), round=F("step__round"), requested_at=F("step__started_at"),
                    ticket_id=F("step__ticket_id"), kind=F("step__ticket__kind"), number=F("step__ticket__number"),
                    title=F("step__ticket__title"), priority=F("step__ticket__priority"),
                    ticket_state=F("step__ticket__state")))


def pending_count(user: User) -> int:
    """How many decisions wait for ``user`` (the console menu's badge): one indexed count."""
    if user is None or not user.is_authenticated:
        return 0
    rows = read_prepared(("approvals-pending-count",), _pending_count_reads, {"user": user.pk})["count"]
    return rows[0][0] if rows else 0


def pending_count_of_request(request) -> int:
    """``pending_count`` of the signed-in person, read once per request (the menu and the page cache)."""
    if not hasattr(request, "_esm_pending_approvals"):
        request._esm_pending_approvals = pending_count(getattr(request, "user", None))
    return request._esm_pending_approvals


def _pending_count_reads(ids: dict) -> dict:
    # On every console page: one prepared statement (esm.batch), not a count the ORM compiles each time.
    return {"count": ApprovalVote.objects.filter(approver_id=ids["user"], state=VoteState.PENDING,
                                                 step__state=ApprovalStepState.PENDING)
            .values("approver_id").annotate(n=Count("id")).values_list("n")}


# --- Time-outs (rule 5: a pending step's ``due_at``, found by the beat scan) --------------------


def time_out_due(*, now=None, limit: int = 200) -> int:
    """Time out the pending steps whose ``due_at`` has passed; returns how many were handled.

    Each step is handled in its own transaction (``approval_time_out``), which skips a ticket
    another worker or a voter holds: the next scan finds the step again if it is still due.
    """
    now = now or timezone.now()
    due = list(ApprovalStep.objects.filter(state=ApprovalStepState.PENDING, due_at__lte=now)
               .order_by("due_at", "id").values_list("id", "ticket_id")[:limit])
    return sum(1 for step_id, ticket_id in due if approval_time_out(step_id=step_id, ticket_id=ticket_id, now=now))


@service
def approval_time_out(*, step_id: int, ticket_id: int, now=None) -> bool:
    """Apply a due step's time-out action: approve, reject, or escalate to its group (once)."""
    now = now or timezone.now()
    ticket = Ticket.objects.select_for_update(of=("self",), skip_locked=True).filter(pk=ticket_id).first()
    if ticket is None:
        return False
    step = (ApprovalStep.objects.select_for_update().filter(pk=step_id, ticket=ticket, state=ApprovalStepState.PENDING,
                                                            due_at__lte=now).first())
    if step is None:
        return False
    _mark_updated(ticket, now)
    if step.timeout_action == TimeoutAction.ESCALATE:
        _escalate(ticket, step, now)
    elif step.timeout_action in (TimeoutAction.APPROVE, TimeoutAction.REJECT):
        outcome = ApprovalStepState.APPROVED if step.timeout_action == TimeoutAction.APPROVE \
            else ApprovalStepState.REJECTED
        _close_step(ticket, step, outcome, None, now, timed_out=True)
    else:
        ApprovalStep.objects.filter(pk=step.pk).update(due_at=None)
    return True


def _escalate(ticket: Ticket, step: ApprovalStep, now) -> None:
    """The step's open votes are no longer required; the escalation group's members decide instead."""
    group = step.escalate_to
    excluded = excluded_ids(ticket)
    present = set(step.votes.values_list("approver_id", flat=True))
    members = [] if group is None or not group.active else list(
        group.members.filter(is_active=True).exclude(pk__in=excluded | present).order_by("id").values_list("id",
                                                                                                          flat=True))
    step.due_at = None
    step.timeout_action = ""
    step.save(update_fields=["due_at", "timeout_action"])
    if not members:  # nobody to escalate to: the step keeps waiting for its approvers
        _record(ticket, None, EventKind.APPROVAL_STEP, round=step.round, step=step.name, outcome="",
                timed_out=True, escalated_to=group.name if group else "", escalation_failed=True)
        return
    step.votes.filter(state=VoteState.PENDING).update(state=VoteState.NOT_REQUIRED)
    ApprovalVote.objects.bulk_create(ApprovalVote(step=step, approver_id=pk, via_group=group) for pk in members)
    _record(ticket, None, EventKind.APPROVAL_STEP, round=step.round, step=step.name, outcome="",
            timed_out=True, escalated_to=group.name)
    _notify_approvers(ticket, step)


# --- Delegation ---------------------------------------------------------------------------------


def delegators_query(user: User, at=None):
    """The ids of the people who let ``user`` decide their approvals at ``at`` (a subquery)."""
    at = at or timezone.now()
    return ApprovalDelegation.objects.filter(delegate_id=user.pk, revoked_at__isnull=True, starts_at__lte=at,
                                             ends_at__gt=at).values("delegator_id")


def delegators_of(user: User, at=None) -> set[int]:
    """The people who let ``user`` decide their approvals now."""
    if user is None or not user.is_authenticated:
        return set()
    return set(delegators_query(user, at).values_list("delegator_id", flat=True))


def delegation_active(*, delegator: User, delegate: User, at) -> bool:
    return ApprovalDelegation.objects.filter(delegator=delegator, delegate=delegate, revoked_at__isnull=True,
                                             starts_at__lte=at, ends_at__gt=at).exists()


MAX_DELEGATION_DAYS = 366


@service
def delegation_create(*, actor: User, delegate: User, starts_at, ends_at, reason: str = "",
                      delegator: User | None = None) -> ApprovalDelegation:
    """``delegator`` (default: the actor) lets ``delegate`` decide their approvals for a period.

    Only administrators (``servicedesk.decide_for_others``) set up a delegation for someone else.
    """
    delegator = delegator or actor
    if delegator.pk != actor.pk and not actor.has_perm(DECIDE_FOR_OTHERS):
        raise NotPermitted(_("You may only delegate your own approvals."))
    errors = {}
    if delegate is None or not delegate.is_active:
        errors["delegate"] = _("Choose an active person.")
    elif delegate.pk == delegator.pk:
        errors["delegate"] = _("Choose someone else than the approver.")
    if starts_at is None or ends_at is None or ends_at <= starts_at:
        errors["ends_at"] = _("The end must come after the start.")
    elif ends_at <= timezone.now():
        errors["ends_at"] = _("The end must be in the future.")
    elif ends_at - starts_at > timedelta(days=MAX_DELEGATION_DAYS):
        errors["ends_at"] = _("A delegation lasts at most a year.")
    reason = (reason or "").strip()
    if len(reason) > 200 or "\x00" in reason:
        errors["reason"] = _("Keep the reason under 200 characters.")
    if errors:
        raise ValidationError(errors)
    return ApprovalDelegation.objects.create(delegator=delegator, delegate=delegate, starts_at=starts_at,
                                             ends_at=ends_at, reason=reason, created_by=actor)


@service
def delegation_revoke(*, actor: User, delegation: ApprovalDelegation) -> ApprovalDelegation:
    """End a delegation now (the approver, or an administrator). Ending it twice changes nothing."""
    if actor.pk != delegation.delegator_id and not actor.has_perm(DECIDE_FOR_OTHERS):
        raise NotPermitted(_("Only the approver can end this delegation."))
    if delegation.revoked_at is None:
        delegation.revoked_at = timezone.now()
        delegation.save(update_fields=["revoked_at"])
    return delegation


# --- Signed single-use links in the approval e-mail ---------------------------------------------

LINK_SALT = "servicedesk.approvals.link"


class LinkInvalid(DomainError):
    """A link that was forged, has expired, or was used (its vote is decided): it never decides."""

    status_code = 400
    code = "approval_link_invalid"


def link_token(vote_id: int, decision: str) -> str:
    from django.core import signing

    return signing.dumps({"vote": vote_id, "decision": decision}, salt=LINK_SALT, compress=True)


def link_vote(token: str) -> tuple[ApprovalVote, str]:
    """The vote and decision a link names, while its vote still waits (``LinkInvalid`` otherwise)."""
    from django.conf import settings
    from django.core import signing

    try:
        data = signing.loads(token, salt=LINK_SALT, max_age=settings.APPROVAL_LINK_MAX_AGE)
    except signing.SignatureExpired:
        raise LinkInvalid(_("This link has expired. Open the ticket to decide."), code="link_expired") from None
    except signing.BadSignature:
        raise LinkInvalid(_("This link is not valid."), code="link_forged") from None
    vote = (ApprovalVote.objects.select_related("step", "step__ticket", "approver")
            .filter(pk=data.get("vote")).first())
    if vote is None or data.get("decision") not in Decision.values:
        raise LinkInvalid(_("This link is not valid."), code="link_forged")
    if not vote.approver.is_active:  # signing in would refuse them; the link must too
        raise LinkInvalid(_("This link is not valid."), code="link_forged")
    if vote.state != VoteState.PENDING or vote.step.state != ApprovalStepState.PENDING:
        raise LinkInvalid(_("This link has already been used, or the decision was taken another way."),
                          code="link_used")
    return vote, data["decision"]


@service
def approval_vote_by_link(*, token: str, comment: str = "") -> ApprovalDecision:
    """Decide as the approver a link was sent to. Single use: a decided vote makes the link spent,
    and the vote's row lock (``approval_vote``) keeps two clicks from deciding twice."""
    vote, decision = link_vote(token)
    try:
        return approval_vote(actor=vote.approver, ticket=vote.step.ticket, decision=decision, comment=comment)
    except ApprovalConflict:
        raise LinkInvalid(_("This link has already been used, or the decision was taken another way."),
                          code="link_used") from None
