"""Change enablement: every write to a change, its templates, freeze windows, CAB rules and feed tokens.

Pages, the API, the admin, the demo data and the approval engine's hooks all call these functions
(docs/architecture.md, rule 1). Guards on the lifecycle (docs/changes.md) raise ``DomainError``
with code ``guard_failed`` and the missing things as codes in ``missing``: the API answers 409.
"""

import hashlib
import secrets
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Team, User
from accounts.roles import can_manage_changes, can_work_tickets
from cmdb.models import ConfigurationItem
from esm.errors import DomainError, NotPermitted
from esm.services import service
from servicedesk import services as desk
from servicedesk.choices import EventKind, Priority, TicketKind
from servicedesk.models import ApprovalStep, ApprovalStepState, ApproverGroup, Category, Ticket, TicketCI
from servicedesk.notifications import notify
from servicedesk.workflow import Actor

from . import risk as risk_module
from .choices import (
    ChangeReason,
    ChangeState,
    ChangeType,
    ImplementationOutcome,
    LinkRelation,
    RiskLevel,
)
from .models import CabRule, CalendarFeedToken, Change, ChangeLink, ChangeTemplate, FreezeWindow, RiskQuestion
from .workflow import BEFORE_IMPLEMENTATION, workflow_of

TICKET_FIELDS = {"title", "description", "category", "service"}
CHANGE_FIELDS = {"reason", "justification", "implementation_plan", "backout_plan", "test_plan", "change_manager",
                 "planned_start", "planned_end"}
# Fields a template fills; a standard change keeps its copy when the template changes or is withdrawn.
TEMPLATE_COPY = ("reason", "implementation_plan", "backout_plan", "test_plan")
MAX_CIS = 500

# Guard codes (stored as facts, shown translated).
GUARD_TEXTS = {
    "planned_window": gettext_lazy("a planned window (start and end)"),
    "authorisation": gettext_lazy("an approved authorisation (CAB approval or a standard template)"),
    "window_started": gettext_lazy("the planned start to have passed"),
    "freeze_override": gettext_lazy("a change manager's override with a reason for the freeze window"),
    "review": gettext_lazy("a post-implementation review (outcome and lessons learned)"),
    "outcome": gettext_lazy("the implementation outcome"),
    "lessons_learned": gettext_lazy("the lessons learned"),
    "plans": gettext_lazy("implementation and back-out plans"),
    "cab_rule": gettext_lazy("a CAB rule for this change's type and risk"),
    "approval_decided": gettext_lazy("the CAB's decision"),
}


def guard_failed(ticket: Ticket, target: str, missing: list[str], extra: dict | None = None) -> DomainError:
    names = "; ".join(str(GUARD_TEXTS[code]) for code in missing)
    return DomainError(
        _("%(number)s cannot move to %(target)s: it needs %(missing)s.")
        % {"number": ticket.number, "target": ChangeState(target).label, "missing": names},
        code="guard_failed", extra={"missing": missing, **(extra or {})},
    )


def _lock(ticket: Ticket, expected_version: int | None) -> tuple[Ticket, Change]:
    if ticket.kind != TicketKind.CHANGE:
        raise DomainError(_("%(number)s is not a change.") % {"number": ticket.number}, code="not_a_change")
    locked = desk.ticket_lock(ticket=ticket, expected_version=expected_version)
    change = Change.objects.select_for_update().get(pk=locked.pk)
    locked.change = change
    change.ticket = locked
    return locked, change


def _require_manager(actor: User | None, message: str | None = None) -> None:
    if actor is not None and not can_manage_changes(actor):
        raise NotPermitted(message or _("Only change managers can do this."))


def _validate_window(start: datetime | None, end: datetime | None, *, field: str = "planned_end") -> None:
    if (start is None) != (end is None):
        missing = "planned_start" if start is None else "planned_end"
        raise ValidationError({missing: _("Give both the planned start and the planned end.")})
    if start is not None and end <= start:
        raise ValidationError({field: _("The end must be after the start.")})


def _validate_service(service: ConfigurationItem | None) -> None:
    if service is not None and not service.is_service:
        raise ValidationError({"service": _("%(name)s is not a business service.") % {"name": service.name}})


def _validate_category(category: Category | None) -> None:
    if category is not None and not category.active:
        raise ValidationError({"category": _("This category is no longer in use.")})


def _validate_choices(values: dict) -> None:
    errors = {}
    if "reason" in values and values["reason"] not in ChangeReason.values:
        errors["reason"] = _("Unknown reason.")
    if "change_type" in values and values["change_type"] not in ChangeType.values:
        errors["change_type"] = _("Unknown change type.")
    if errors:
        raise ValidationError(errors)


def _validate_manager(user: User | None) -> None:
    if user is not None and not can_manage_changes(user):
        raise ValidationError({"change_manager": _("%(user)s is not a change manager.")
                               % {"user": user.display_name}})


def ci_ids_of(ticket: Ticket) -> list[int]:
    return list(TicketCI.objects.filter(ticket_id=ticket.pk).values_list("ci_id", flat=True))


# --- Recording a change ---------------------------------------------------------------------


@service
def change_create(*, actor: User, title: str = "", description: str = "", change_type: str = ChangeType.NORMAL,
                  requester: User | None = None, reason: str = ChangeReason.MAINTENANCE, justification: str = "",
                  implementation_plan: str = "", backout_plan: str = "", test_plan: str = "",
                  category: Category | None = None, service: ConfigurationItem | None = None,
                  team: Team | None = None, assignee: User | None = None, change_manager: User | None = None,
                  planned_start: datetime | None = None, planned_end: datetime | None = None,
                  cis: list[ConfigurationItem] | None = None, template: ChangeTemplate | None = None,
                  from_incident: Ticket | None = None, risk_answers: dict | None = None) -> Ticket:
    """Record a change (agents). With ``template`` it is a standard change filled from the template's
    copy; with ``from_incident`` it addresses that incident (linked both ways) and takes its service
    and CIs unless given."""
    if actor is None or not can_work_tickets(actor):
        raise NotPermitted(_("Only service desk staff can record changes."))
    if template is not None:
        template = ChangeTemplate.objects.get(pk=template.pk)  # withdrawn since the caller read it?
        if not template.active:
            raise ValidationError({"template": _("The template %(name)s has been withdrawn.")
                                   % {"name": template.name}})
        change_type = ChangeType.STANDARD
        title = title or template.title
        description = description or template.description
        category = category or template.category
        team = team or template.team
        reason = template.reason
        implementation_plan = implementation_plan or template.implementation_plan
        backout_plan = backout_plan or template.backout_plan
        test_plan = test_plan or template.test_plan
        if planned_start is not None and planned_end is None:
            planned_end = planned_start + timedelta(minutes=template.duration_minutes)
    elif change_type == ChangeType.STANDARD:
        raise ValidationError({"template": _("A standard change is made from a template; choose one.")})
    _validate_choices({"reason": reason, "change_type": change_type})
    _validate_window(planned_start, planned_end)
    _validate_service(service)
    _validate_category(category)
    _validate_manager(change_manager)
    if from_incident is not None:
        if from_incident.kind not in (TicketKind.INCIDENT, TicketKind.PROBLEM):
            raise ValidationError({"from_incident": _("%(number)s is not an incident or a problem.")
                                   % {"number": from_incident.number}})
        service = service or from_incident.service
        title = title or from_incident.title
        if cis is None:
            cis = list(ConfigurationItem.objects.filter(ticket_links__ticket=from_incident))
    if cis and len(cis) > MAX_CIS:
        raise ValidationError({"cis": _("A change can touch at most %(n)s configuration items.") % {"n": MAX_CIS}})
    if team is None and service is not None and service.support_team_id:
        team = service.support_team
    ticket = desk.ticket_create(
        kind=TicketKind.CHANGE, workflow=workflow_of(change_type), actor=actor, requester=requester or actor,
        title=title, description=description,
        priority=Priority.CRITICAL if change_type == ChangeType.EMERGENCY else Priority.MODERATE,
        team=team, assignee=assignee, category=category, service=service,
    )
    change = Change(ticket=ticket, change_type=change_type, reason=reason, justification=justification,
                    implementation_plan=implementation_plan, backout_plan=backout_plan, test_plan=test_plan,
                    template=template, change_manager=change_manager, planned_start=planned_start,
                    planned_end=planned_end)
    if risk_answers:
        change.risk_answers = _clean_answers(risk_answers)
    change.save(force_insert=True)
    ticket.change = change
    if cis:
        desk.ticket_link_cis(ticket=ticket, actor=actor, cis=cis)
    if from_incident is not None:
        ChangeLink.objects.create(change=change, ticket=from_incident, relation=LinkRelation.ADDRESSES,
                                  linked_by=actor)
    _reassess(ticket, change)
    if change_manager is not None and change_manager.pk != actor.pk:
        notify(ticket=ticket, recipients=[change_manager], reason="change_managed")
    if assignee is not None and assignee.pk != actor.pk:
        notify(ticket=ticket, recipients=[assignee], reason="assigned")
    return ticket


@service
def change_from_ticket(*, actor: User, ticket: Ticket, **fields) -> Ticket:
    """Raise a change that addresses ``ticket``, an incident or a problem (its service and CIs come along)."""
    return change_create(actor=actor, from_incident=ticket, **fields)


@service
def change_from_incident(*, actor: User, incident: Ticket, **fields) -> Ticket:
    """Raise a change that addresses ``incident`` (its service and CIs come along)."""
    return change_from_ticket(actor=actor, ticket=incident, **fields)


@service
def change_update(*, ticket: Ticket, actor: User, expected_version: int | None = None, **changes) -> Ticket:
    """Change the recorded fields of a change, all or nothing.

    ``cis`` replaces the touched CIs; ``team`` and ``assignee`` (the implementer) go through
    assignment; ``change_type`` may change while the change is New. The planned window moves only
    before implementation. Risk is recomputed when CIs or the service change.
    """
    desk.require_agent(actor)
    cis = changes.pop("cis", None)
    override_reason = (changes.pop("override_reason", "") or "").strip()
    assignment = {name: changes.pop(name) for name in ("team", "assignee") if name in changes}
    new_type = changes.pop("change_type", None)
    unknown = set(changes) - TICKET_FIELDS - CHANGE_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    ticket, change = _lock(ticket, expected_version)
    if not ticket.active:
        raise DomainError(_("%(number)s is %(state)s and can no longer be edited.")
                          % {"number": ticket.number, "state": ChangeState(ticket.state).label}, code="not_active")
    _validate_choices(changes)
    if "service" in changes:
        _validate_service(changes["service"])
    if "category" in changes:
        _validate_category(changes["category"])
    if "change_manager" in changes:
        _validate_manager(changes["change_manager"])
    window = {k: changes[k] for k in ("planned_start", "planned_end") if k in changes}
    if window:
        if ticket.state not in BEFORE_IMPLEMENTATION and any(getattr(change, k) != v for k, v in window.items()):
            raise DomainError(_("The planned window cannot move once implementation has started."),
                              code="window_locked")
        _validate_window(window.get("planned_start", change.planned_start),
                         window.get("planned_end", change.planned_end))
    if new_type is not None and new_type != change.change_type:
        _change_type(ticket, change, new_type)
    if "title" in changes:
        changes["title"] = (changes["title"] or "").strip()

    before = {k: getattr(change, k) for k in changes if k in CHANGE_FIELDS}
    detail_changes = {k: v for k, v in changes.items() if k in CHANGE_FIELDS and before[k] != v}
    for name, value in detail_changes.items():
        setattr(change, name, value)
    if detail_changes:
        change.save(update_fields=list(detail_changes))
    desk.ticket_update_fields(
        ticket=ticket, actor=actor, changes={k: v for k, v in changes.items() if k in TICKET_FIELDS},
        details={k: (before[k], v) for k, v in detail_changes.items()},
    )
    reassess = "service" in changes
    if cis is not None:
        reassess = _replace_cis(ticket, actor, cis) or reassess
    if reassess:
        _reassess(ticket, change)
    moved = any(k in detail_changes for k in ("planned_start", "planned_end"))
    if ticket.state == ChangeState.SCHEDULED and (moved or reassess):
        _recheck_freezes(ticket, change, actor, override_reason)
    if assignment:
        team = assignment.get("team", ticket.team)
        if "assignee" in assignment:
            assignee = assignment["assignee"]
        else:
            assignee = ticket.assignee if team is not None and ticket.team_id == team.pk else None
        desk.ticket_assign(ticket=ticket, actor=actor, team=team, assignee=assignee)
    manager = detail_changes.get("change_manager")
    if manager is not None and manager.pk != actor.pk:
        notify(ticket=ticket, recipients=[manager], reason="change_managed")
    return ticket


def _recheck_freezes(ticket: Ticket, change: Change, actor: User, override_reason: str) -> None:
    """A scheduled change whose window, CIs or service move is checked against freeze windows again,
    as scheduling it was: a freeze needs a change manager's override, kept on the timeline."""
    freezes = _freeze_conflicts(ticket, change)
    if not freezes:
        return
    if not override_reason:
        raise guard_failed(ticket, ChangeState.SCHEDULED, ["freeze_override"],
                           {"freeze_windows": [f.facts for f in freezes]})
    _require_manager(actor, _("Only change managers can override a guard."))
    desk.timeline_record(ticket=ticket, actor=actor, kind=EventKind.FIELDS, changes={},
                         note_code="override_freeze", note_params={"reason": override_reason})


def _change_type(ticket: Ticket, change: Change, new_type: str) -> None:
    if new_type not in ChangeType.values:
        raise ValidationError({"change_type": _("Unknown change type.")})
    if ticket.state != ChangeState.NEW:
        raise ValidationError({"change_type": _("The type can only change while the change is New.")})
    if new_type == ChangeType.STANDARD and change.template_id is None:
        raise ValidationError({"change_type": _("A standard change is made from a template.")})
    if change.change_type == ChangeType.STANDARD:
        change.template = None  # no longer pre-approved: it goes to the CAB
    old = change.change_type
    change.change_type = new_type
    change.save(update_fields=["change_type", "template"])
    desk.timeline_record(ticket=ticket, actor=None, kind="fields",
                         changes={"change_type": {"from": old, "to": new_type}})


def _replace_cis(ticket: Ticket, actor: User, cis: list[ConfigurationItem]) -> bool:
    if len(cis) > MAX_CIS:
        raise ValidationError({"cis": _("A change can touch at most %(n)s configuration items.") % {"n": MAX_CIS}})
    current = set(ci_ids_of(ticket))
    wanted = {ci.pk: ci for ci in cis}
    added = [ci for pk, ci in wanted.items() if pk not in current]
    removed = current - set(wanted)
    if added:
        desk.ticket_link_cis(ticket=ticket, actor=actor, cis=added)
    for ci in ConfigurationItem.objects.filter(pk__in=removed):
        desk.ticket_unlink_ci(ticket=ticket, actor=actor, ci=ci)
    return bool(added or removed)


@service
def change_link_cis(*, ticket: Ticket, actor: User, cis: list[ConfigurationItem]) -> Ticket:
    """Add CIs the change touches (and recompute its risk)."""
    desk.require_agent(actor)
    ticket, change = _lock(ticket, None)
    desk.ticket_link_cis(ticket=ticket, actor=actor, cis=cis)
    _reassess(ticket, change)
    return ticket


@service
def change_unlink_ci(*, ticket: Ticket, actor: User, ci: ConfigurationItem) -> Ticket:
    desk.require_agent(actor)
    ticket, change = _lock(ticket, None)
    desk.ticket_unlink_ci(ticket=ticket, actor=actor, ci=ci)
    _reassess(ticket, change)
    return ticket


@service
def change_link(*, ticket: Ticket, actor: User, other: Ticket, relation: str) -> ChangeLink:
    """Link an incident or problem the change addresses, or an incident it caused."""
    desk.require_agent(actor)
    if relation not in LinkRelation.values:
        raise ValidationError({"relation": _("Unknown relation.")})
    allowed = {TicketKind.INCIDENT, TicketKind.PROBLEM} if relation == LinkRelation.ADDRESSES else {TicketKind.INCIDENT}
    if other.kind not in allowed:
        raise ValidationError({"ticket": _("%(number)s cannot be linked this way.") % {"number": other.number}})
    ticket, change = _lock(ticket, None)
    link, created = ChangeLink.objects.get_or_create(change=change, ticket=other, relation=relation,
                                                     defaults={"linked_by": actor})
    if created:
        desk.touch(ticket)
        desk.timeline_record(ticket=ticket, actor=actor, kind="fields",
                             changes={"links": {"from": None, "to": f"{relation} {other.number}"}})
    return link


@service
def change_unlink(*, ticket: Ticket, actor: User, other: Ticket, relation: str) -> None:
    desk.require_agent(actor)
    ticket, change = _lock(ticket, None)
    deleted, _rows = ChangeLink.objects.filter(change=change, ticket=other, relation=relation).delete()
    if deleted:
        desk.touch(ticket)
        desk.timeline_record(ticket=ticket, actor=actor, kind="fields",
                             changes={"links": {"from": f"{relation} {other.number}", "to": None}})


# --- Risk -----------------------------------------------------------------------------------


def _clean_answers(answers: dict) -> dict:
    if not isinstance(answers, dict):
        raise ValidationError({"answers": _("Give the answers as question id → yes/no.")})
    questions = set(RiskQuestion.objects.filter(active=True).values_list("pk", flat=True))
    clean, errors = {}, {}
    for key, value in answers.items():
        pk = int(key) if str(key).isdigit() else None
        if pk not in questions:
            errors[str(key)] = _("There is no such question.")
        elif value is not None and not isinstance(value, bool):
            errors[str(key)] = _("Answer yes (true), no (false) or not known (null).")
        elif value is not None:
            clean[str(pk)] = value
    if errors:
        raise ValidationError({"answers": [f"{key}: {message}" for key, message in errors.items()]})
    return clean


def _reassess(ticket: Ticket, change: Change) -> risk_module.Assessment:
    assessment = risk_module.assess(change, ci_ids_of(ticket), service_id=ticket.service_id)
    change.risk_score = assessment.score
    change.risk_level = assessment.level
    change.risk_reasons = assessment.reasons
    change.risk_assessed_at = timezone.now()
    change.save(update_fields=["risk_score", "risk_level", "risk_reasons", "risk_assessed_at", "risk_answers"])
    return assessment


@service
def change_set_risk_answers(*, ticket: Ticket, actor: User, answers: dict,
                            expected_version: int | None = None) -> Ticket:
    """Record the questionnaire's answers (replacing the earlier ones) and recompute the risk."""
    desk.require_agent(actor)
    ticket, change = _lock(ticket, expected_version)
    if not ticket.active:
        raise DomainError(_("%(number)s is %(state)s and can no longer be edited.")
                          % {"number": ticket.number, "state": ChangeState(ticket.state).label}, code="not_active")
    change.risk_answers = _clean_answers(answers)
    _reassess(ticket, change)
    desk.touch(ticket)
    return ticket


@service
def change_assess_risk(*, ticket: Ticket, actor: User | None) -> Ticket:
    """Recompute the risk from the current CIs, answers and history."""
    ticket, change = _lock(ticket, None)
    _reassess(ticket, change)
    return ticket


def risk_context(change: Change) -> dict:
    """The risk as the CAB saw it: stored with the approval steps and each decision."""
    return {"risk": {"score": change.risk_score, "level": change.risk_level, "reasons": change.risk_reasons,
                     "assessed_at": change.risk_assessed_at.isoformat() if change.risk_assessed_at else None}}


# --- Lifecycle ------------------------------------------------------------------------------


def _authorised(ticket: Ticket, change: Change) -> bool:
    if change.change_type == ChangeType.STANDARD:
        return change.template_id is not None
    return approval_outcome(ticket) == "approved"


def approval_outcome(ticket: Ticket) -> str:
    """"approved", "rejected", "pending" or "" (never asked) for the latest approval round."""
    steps = list(ApprovalStep.objects.filter(ticket_id=ticket.pk).order_by("-round", "order")
                 .values_list("round", "state"))
    if not steps:
        return ""
    latest = [state for round_, state in steps if round_ == steps[0][0]]
    if ApprovalStepState.REJECTED in latest:
        return "rejected"
    live = [state for state in latest if state != ApprovalStepState.CANCELLED]
    if live and all(state == ApprovalStepState.APPROVED for state in live):
        return "approved"
    return "pending" if live else ""


def _freeze_conflicts(ticket: Ticket, change: Change) -> list:
    from .conflicts import freeze_conflicts

    return freeze_conflicts(ticket, change)


def _review_missing(change: Change, outcome: str, review_notes: str) -> list[str]:
    missing = []
    outcome = outcome or change.outcome
    notes = (review_notes or "").strip() or change.review_notes
    if not outcome:
        missing.append("outcome")
    # A standard change that went as planned needs no lessons; everything else does (emergency: always).
    routine = change.change_type == ChangeType.STANDARD and outcome == ImplementationOutcome.SUCCESSFUL
    if not notes and not routine:
        missing.append("lessons_learned")
    return missing


@service
def change_transition(*, ticket: Ticket, actor: User | None, to: str, expected_version: int | None = None,
                      reason: str = "", override_reason: str = "", outcome: str = "", review_notes: str = "",
                      roles: set[Actor] | None = None, note_code: str = "", note_params: dict | None = None,
                      planned_start=None, planned_end=None) -> Ticket:
    """Move a change along its type's workflow, after the guards of the target state.

    ``override_reason`` lets a change manager start an implementation without authorisation or
    before its window, or schedule in a freeze window; the reason is kept on the timeline.
    ``outcome`` is required to finish the implementation; closing needs the review (``outcome``
    and ``review_notes`` now or recorded before). Moving to Scheduled may bring the planned window
    (``planned_start``, ``planned_end``): it is recorded with the move, both or neither.
    """
    if to == ChangeState.SCHEDULED and (planned_start or planned_end):
        current = Change.objects.get(pk=ticket.pk)
        window = {name: value for name, value in (("planned_start", planned_start), ("planned_end", planned_end))
                  if value and value != getattr(current, name)}
        if window:
            ticket = change_update(ticket=ticket, actor=actor, expected_version=expected_version, **window)
            expected_version = ticket.version
    ticket, change = _lock(ticket, expected_version)
    workflow = workflow_of(change.change_type)
    roles = roles if roles is not None else desk.actor_roles(ticket=ticket, actor=actor)
    transition = workflow.find(ticket.state, to, roles)
    if transition is None:  # the service desk refuses it with the allowed targets
        desk.ticket_change_state(ticket=ticket, workflow=workflow, target=to, actor=actor, roles=roles)
    reason = (reason or "").strip()
    override_reason = (override_reason or "").strip()
    if outcome and outcome not in ImplementationOutcome.values:
        raise ValidationError({"outcome": _("Unknown outcome.")})
    if "reason" in transition.requires and actor is not None and not reason:
        raise ValidationError({"reason": _("Say why.")})
    if "outcome" in transition.requires and not outcome:
        raise ValidationError({"outcome": _("Say how the implementation went.")})
    if to == ChangeState.REJECTED and actor is not None and Actor.SYSTEM not in roles:
        _require_manager(actor, _("Only change managers can reject a change."))
    if override_reason:
        _require_manager(actor, _("Only change managers can override a guard."))

    source = ticket.state
    steps = None
    override_code = ""
    now = timezone.now()
    if to == ChangeState.AUTHORIZATION:
        missing = [] if change.implementation_plan.strip() and change.backout_plan.strip() else ["plans"]
        if missing:
            raise guard_failed(ticket, to, missing)
        assessment = _reassess(ticket, change)
        from .cab import steps_for

        steps = steps_for(ticket, change, assessment.service_ids)
        if not steps:
            raise guard_failed(ticket, to, ["cab_rule"])
    elif to == ChangeState.SCHEDULED:
        missing = [] if change.planned_start and change.planned_end else ["planned_window"]
        if source == ChangeState.AUTHORIZATION and not _authorised(ticket, change):
            missing.append("approval_decided")
        if missing:
            raise guard_failed(ticket, to, missing)
        freezes = _freeze_conflicts(ticket, change)
        if freezes:
            if not override_reason:
                raise guard_failed(ticket, to, ["freeze_override"],
                                   {"freeze_windows": [f.facts for f in freezes]})
            override_code = "override_freeze"
    elif to == ChangeState.IMPLEMENTING:
        missing = []
        if not _authorised(ticket, change):
            missing.append("authorisation")
        if change.planned_start is None or change.planned_start > now:
            missing.append("window_started")
        if missing:
            if not override_reason:
                raise guard_failed(ticket, to, missing)
            override_code = "override_start"
    elif to == ChangeState.CLOSED:
        missing = _review_missing(change, outcome, review_notes)
        if missing:
            raise guard_failed(ticket, to, ["review", *missing])

    if override_code:
        note_code, note_params = override_code, {"reason": override_reason, "guards": missing if
                                                 override_code == "override_start" else ["freeze_override"]}
    desk.ticket_change_state(ticket=ticket, workflow=workflow, target=to, actor=actor, roles=roles,
                             note=reason, note_code=note_code, note_params=note_params)

    changed = []
    if to == ChangeState.IMPLEMENTING and change.actual_start is None:
        change.actual_start = now
        changed.append("actual_start")
    if to == ChangeState.REVIEW:
        change.actual_end = now
        change.outcome = outcome
        changed += ["actual_end", "outcome"]
    if to == ChangeState.CLOSED:
        changed += _apply_review(change, actor, outcome, review_notes)
    if changed:
        change.save(update_fields=changed)

    if steps is not None:
        from servicedesk import approvals

        try:
            approvals.approval_request(actor=actor, ticket=ticket, steps=steps, context=risk_context(change))
        except ValidationError as error:  # a CAB without eligible approvers: the move is refused, not the input
            messages = [m for ms in error.message_dict.values() for m in ms]
            raise DomainError(" ".join(messages), code="cab_unavailable") from None
    elif source == ChangeState.AUTHORIZATION and to in (ChangeState.CANCELLED, ChangeState.REJECTED) \
            and Actor.SYSTEM not in roles:
        from servicedesk import approvals

        approvals.approval_cancel(actor=actor, ticket=ticket, reason=reason)
    _notify_state(ticket, change, actor, to)
    return ticket


def _apply_review(change: Change, actor: User | None, outcome: str, review_notes: str) -> list[str]:
    changed = []
    if outcome and outcome != change.outcome:
        change.outcome = outcome
        changed.append("outcome")
    if (review_notes or "").strip():
        change.review_notes = review_notes.strip()
        changed.append("review_notes")
    if changed:
        change.reviewed_by = actor
        change.reviewed_at = timezone.now()
        changed += ["reviewed_by", "reviewed_at"]
    return changed


@service
def change_record_review(*, ticket: Ticket, actor: User, outcome: str = "", review_notes: str = "",
                         expected_version: int | None = None) -> Ticket:
    """Record the post-implementation review (in Review) without closing yet."""
    desk.require_agent(actor)
    ticket, change = _lock(ticket, expected_version)
    if ticket.state != ChangeState.REVIEW:
        raise DomainError(_("The review is recorded once the change is in Review."), code="not_in_review")
    if outcome and outcome not in ImplementationOutcome.values:
        raise ValidationError({"outcome": _("Unknown outcome.")})
    before = {"outcome": change.outcome, "review_notes": change.review_notes}
    changed = _apply_review(change, actor, outcome, review_notes)
    if changed:
        change.save(update_fields=changed)
        desk.ticket_update_fields(ticket=ticket, actor=actor, changes={},
                                  details={k: (before[k], getattr(change, k)) for k in before})
    return ticket


def available_actions(ticket: Ticket, user: User | None) -> list[dict]:
    """The moves ``user`` may offer on ``ticket`` now, for pages and the API.

    Each is the transition plus ``blocked`` (guard codes still missing; empty when it can be taken)
    and ``overridable`` (a change manager may take it with a reason). Moves the CAB decides (the
    system's) are left out while the approval is pending. ``ticket.change`` must be loaded.
    """
    change = ticket.change
    workflow = workflow_of(change.change_type)
    roles = desk.actor_roles(ticket=ticket, actor=user)
    manager = user is not None and can_manage_changes(user)
    now = timezone.now()
    actions = []
    for transition in workflow.transitions_from(ticket.state, roles):
        target = transition.target
        if target == ChangeState.REJECTED and not manager:
            continue
        blocked: list[str] = []
        overridable = False
        if target == ChangeState.AUTHORIZATION and not (change.implementation_plan.strip()
                                                        and change.backout_plan.strip()):
            blocked.append("plans")
        elif target == ChangeState.SCHEDULED:
            if not (change.planned_start and change.planned_end):
                blocked.append("planned_window")
            if ticket.state == ChangeState.AUTHORIZATION and not _authorised(ticket, change):
                continue  # the CAB decides
        elif target == ChangeState.IMPLEMENTING:
            if ticket.state == ChangeState.AUTHORIZATION and not _authorised(ticket, change) and not manager:
                continue
            if not _authorised(ticket, change):
                blocked.append("authorisation")
            if change.planned_start is None or change.planned_start > now:
                blocked.append("window_started")
            overridable = bool(blocked) and manager
        elif target == ChangeState.CLOSED:
            blocked += _review_missing(change, "", "")
        actions.append({"target": target, "name": transition.name or target, "label": transition.label,
                        "style": transition.style, "confirm": transition.confirm, "requires": transition.requires,
                        "blocked": blocked, "overridable": overridable})
    return actions


# --- Approval hooks (registered with the process) ------------------------------------------


def approval_excluded(ticket: Ticket) -> set[int]:
    """Separation of duties: the requester and the implementer never approve their own change."""
    return {pk for pk in (ticket.requester_id, ticket.assignee_id) if pk}


def approval_decided(ticket: Ticket, outcome: str, actor: User | None) -> None:
    """Called by the approval engine inside the vote's transaction.

    Approved: a normal change moves to Scheduled when it has a planned window (and no freeze window
    needs an override), an emergency change to Implementing when its window has started; otherwise
    it stays in Authorization, approved, and the implementer moves it on (the change manager and
    implementer are told). Rejected: the change is Rejected.
    """
    ticket, change = _lock(ticket, None)
    if ticket.state != ChangeState.AUTHORIZATION:
        return
    system = {Actor.SYSTEM}
    if outcome == "rejected":
        change_transition(ticket=ticket, actor=None, to=ChangeState.REJECTED, roles=system,
                          note_code="change_rejected")
        return
    if outcome != "approved":
        return
    now = timezone.now()
    if change.change_type == ChangeType.NORMAL:
        ready = bool(change.planned_start and change.planned_end) and not _freeze_conflicts(ticket, change)
        target = ChangeState.SCHEDULED
    else:
        ready = change.planned_start is not None and change.planned_start <= now
        target = ChangeState.IMPLEMENTING
    if ready:
        change_transition(ticket=ticket, actor=None, to=target, roles=system, note_code="change_approved")
    else:
        recipients = [u for u in (change.change_manager, ticket.assignee) if u is not None]
        notify(ticket=ticket, recipients=recipients, reason="change_approved_waiting",
               context={"target_label": ChangeState(target).label})


# --- Notifications --------------------------------------------------------------------------

# Whom each state concerns, besides the actor: the change manager, the implementer (assignee).
NOTIFY_ON = {
    ChangeState.ASSESSMENT: ("manager",),
    ChangeState.AUTHORIZATION: ("manager",),
    ChangeState.SCHEDULED: ("manager", "implementer"),
    ChangeState.IMPLEMENTING: ("manager",),
    ChangeState.REVIEW: ("manager",),
    ChangeState.CLOSED: ("implementer",),
    ChangeState.REJECTED: ("manager", "implementer"),
    ChangeState.CANCELLED: ("manager", "implementer"),
}


def _notify_state(ticket: Ticket, change: Change, actor: User | None, target: str) -> None:
    who = NOTIFY_ON.get(target, ())
    people = []
    if "manager" in who and change.change_manager_id:
        people.append(change.change_manager)
    if "implementer" in who and ticket.assignee_id:
        people.append(ticket.assignee)
    people = [p for p in people if actor is None or p.pk != actor.pk]
    if people:
        notify(ticket=ticket, recipients=people, reason="change_state",
               context={"state_label": ChangeState(target).label})


# --- Standard-change templates (change managers) ---------------------------------------------

TEMPLATE_FIELDS = {"name", "title", "description", "category", "reason", "implementation_plan", "backout_plan",
                   "test_plan", "team", "duration_minutes"}


@service
def template_save(*, actor: User, template: ChangeTemplate | None = None, expected_version: int | None = None,
                  **fields) -> ChangeTemplate:
    """Create or edit a standard-change template. Changes made from it keep their own copy."""
    _require_manager(actor)
    unknown = set(fields) - TEMPLATE_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    _validate_choices({k: v for k, v in fields.items() if k == "reason"})
    if "category" in fields:
        _validate_category(fields["category"])
    if template is None:
        template = ChangeTemplate()
    else:
        template = ChangeTemplate.objects.select_for_update().get(pk=template.pk)
        if expected_version is not None and template.version != expected_version:
            from esm.errors import StaleVersion

            raise StaleVersion(current_version=template.version)
        if not template.active:
            raise DomainError(_("A withdrawn template cannot be edited."), code="template_withdrawn")
    for name, value in fields.items():
        if name in {"name", "title"}:
            value = (value or "").strip()
        setattr(template, name, value)
    errors = {}
    for name in ("name", "title", "implementation_plan", "backout_plan"):
        if not str(getattr(template, name) or "").strip():
            errors[name] = _("This field is required.")
    if ChangeTemplate.objects.filter(name__iexact=template.name).exclude(pk=template.pk).exists():
        errors["name"] = _("Another template has this name.")
    if not template.duration_minutes or template.duration_minutes > 60 * 24 * 14:
        errors["duration_minutes"] = _("Give a duration between 1 minute and 14 days.")
    if errors:
        raise ValidationError(errors)
    if template.pk:
        template.version += 1
    template.save()
    return template


@service
def template_withdraw(*, actor: User, template: ChangeTemplate) -> ChangeTemplate:
    """No new changes from it; changes already made keep their copy and stay pre-approved."""
    _require_manager(actor)
    template = ChangeTemplate.objects.select_for_update().get(pk=template.pk)
    if template.active:
        template.active = False
        template.withdrawn_at = timezone.now()
        template.version += 1
        template.save(update_fields=["active", "withdrawn_at", "version", "updated_at"])
    return template


# --- Freeze windows, CAB rules and risk questions (change managers) -----------------------------

FREEZE_FIELDS = {"name", "starts_at", "ends_at", "service", "reason", "active"}


@service
def freeze_window_save(*, actor: User, window: FreezeWindow | None = None, **fields) -> FreezeWindow:
    _require_manager(actor)
    unknown = set(fields) - FREEZE_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    window = FreezeWindow() if window is None else FreezeWindow.objects.select_for_update().get(pk=window.pk)
    for name, value in fields.items():
        setattr(window, name, value.strip() if name == "name" else value)
    if not window.name:
        raise ValidationError({"name": _("This field is required.")})
    if window.starts_at is None or window.ends_at is None:
        raise ValidationError({"ends_at" if window.starts_at else "starts_at": _("This field is required.")})
    if window.ends_at <= window.starts_at:
        raise ValidationError({"ends_at": _("The end must be after the start.")})
    _validate_service(window.service)
    window.save()
    return window


@service
def freeze_window_delete(*, actor: User, window: FreezeWindow) -> None:
    _require_manager(actor)
    window.delete()


CAB_RULE_FIELDS = {"change_type", "min_risk_level", "service", "group", "order", "active", "policy", "threshold"}


@service
def cab_rule_save(*, actor: User, rule: CabRule | None = None, **fields) -> CabRule:
    _require_manager(actor)
    unknown = set(fields) - CAB_RULE_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    rule = CabRule() if rule is None else CabRule.objects.select_for_update().get(pk=rule.pk)
    for name, value in fields.items():
        setattr(rule, name, value)
    errors = {}
    if rule.change_type not in (ChangeType.NORMAL, ChangeType.EMERGENCY):
        errors["change_type"] = _("Only normal and emergency changes go to a CAB.")
    if rule.min_risk_level not in RiskLevel.values:
        errors["min_risk_level"] = _("Unknown risk level.")
    if rule.group_id is None:
        errors["group"] = _("This field is required.")
    elif not rule.group.active:
        errors["group"] = _("This approver group is no longer active.")
    errors.update(_policy_errors(rule.policy, rule.threshold))
    if errors:
        raise ValidationError(errors)
    _validate_service(rule.service)
    rule.save()
    return rule


def _policy_errors(policy: str, threshold: int | None) -> dict:
    if policy in ("quorum", "percent") and not threshold:
        return {"threshold": _("A quorum or a percentage needs a threshold.")}
    if policy == "percent" and threshold and threshold > 100:
        return {"threshold": _("A percentage is at most 100.")}
    if policy not in ("all", "any", "quorum", "percent"):
        return {"policy": _("Unknown policy.")}
    return {}


@service
def cab_rule_delete(*, actor: User, rule: CabRule) -> None:
    _require_manager(actor)
    rule.delete()


@service
def approver_group_save(*, actor: User, group: ApproverGroup | None = None, members: list[User] | None = None,
                        **fields) -> ApproverGroup:
    """A CAB: name, description, chair and members (change managers keep them)."""
    _require_manager(actor)
    unknown = set(fields) - {"name", "description", "chair", "active"}
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    group = ApproverGroup() if group is None else ApproverGroup.objects.select_for_update().get(pk=group.pk)
    for name, value in fields.items():
        setattr(group, name, value.strip() if name == "name" else value)
    if not group.name:
        raise ValidationError({"name": _("This field is required.")})
    if ApproverGroup.objects.filter(name__iexact=group.name).exclude(pk=group.pk).exists():
        raise ValidationError({"name": _("Another approver group has this name.")})
    group.save()
    if members is not None:
        group.members.set(members)
    return group


@service
def risk_question_save(*, actor: User, question: RiskQuestion | None = None, **fields) -> RiskQuestion:
    _require_manager(actor)
    question = RiskQuestion() if question is None else RiskQuestion.objects.select_for_update().get(pk=question.pk)
    for name, value in fields.items():
        if name not in {"text", "help_text", "risky_answer", "weight", "order", "active"}:
            raise ValidationError({name: _("This field cannot be changed here.")})
        setattr(question, name, value)
    if not (question.text or "").strip():
        raise ValidationError({"text": _("This field is required.")})
    question.save()
    return question


# --- Calendar feed tokens -------------------------------------------------------------------


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@service
def calendar_token_create(*, actor: User) -> tuple[CalendarFeedToken, str]:
    """A secret for subscribing to the change calendar; only its digest is kept, the token is shown once."""
    desk.require_agent(actor)
    token = secrets.token_urlsafe(32)
    row = CalendarFeedToken.objects.create(user=actor, digest=token_digest(token))
    return row, token


@service
def calendar_token_revoke(*, actor: User, token: CalendarFeedToken) -> None:
    if token.user_id != actor.pk and not can_manage_changes(actor):
        raise NotPermitted(_("You can only revoke your own feed tokens."))
    token.delete()


def calendar_token_user(token: str) -> User | None:
    """The person a feed token belongs to (active desk staff only), noting when it was last used."""
    if not token or len(token) > 200:
        return None
    row = CalendarFeedToken.objects.select_related("user").filter(digest=token_digest(token)).first()
    if row is None or not can_work_tickets(row.user):
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=5):
        CalendarFeedToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user



# --- CAB votes ------------------------------------------------------------------------------


@service
def change_vote(*, ticket: Ticket, actor: User, decision: str, comment: str = "", on_behalf_of: User | None = None):
    """A CAB member's decision through the approval engine, with the change's risk as it is now
    stored in the decision's context (what the approver saw)."""
    from servicedesk import approvals

    if ticket.kind != TicketKind.CHANGE:
        raise DomainError(_("%(number)s is not a change.") % {"number": ticket.number}, code="not_a_change")
    change = Change.objects.get(pk=ticket.pk)
    return approvals.approval_vote(actor=actor, ticket=ticket, decision=decision, comment=comment,
                                   on_behalf_of=on_behalf_of, context=risk_context(change))
