"""Problem management: every write to a problem, its incidents, root-cause analysis, known errors and
candidates. Pages, the API, the beat task and the demo data call these (docs/architecture.md, rule 1).

Guards on the lifecycle raise ``DomainError`` with code ``guard_failed`` and the missing things as
codes in ``missing`` (API 409). Moves, the analysis, known errors and candidates are for problem
managers (``problems.manage_problems``); every desk role may raise problems, link incidents and
apply workarounds.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Team, User
from accounts.roles import can_manage_problems, can_work_tickets
from cmdb.models import ConfigurationItem
from esm.errors import DomainError, NotPermitted
from esm.services import service
from servicedesk import services as desk
from servicedesk.choices import EventKind, TicketKind
from servicedesk.models import Category, Notification, Ticket
from servicedesk.notifications import notify
from servicedesk.rendering import MAX_BODY_CHARS

from .choices import (
    CandidateReason,
    CandidateState,
    CauseCategory,
    FishboneCategory,
    KnownErrorStatus,
    ProblemState,
    RcaMethod,
)
from .models import KnownError, KnownErrorUse, Problem, ProblemCandidate, ProblemIncident
from .workflow import PROBLEM_WORKFLOW

TICKET_FIELDS = {"title", "description", "category", "service"}
PROBLEM_FIELDS = {"impact", "urgency", "problem_manager"}
MAX_INCIDENTS_AT_ONCE = 200
MAX_CIS = 200
MAX_RCA_ITEMS = 50

GUARD_TEXTS = {
    "successful_change_or_reason": gettext_lazy(
        "a linked change closed successfully, or a reason why no change is needed"),
    "root_cause": gettext_lazy("the root cause recorded"),
}


def guard_failed(ticket: Ticket, target: str, missing: list[str]) -> DomainError:
    names = "; ".join(str(GUARD_TEXTS[code]) for code in missing)
    return DomainError(
        _("%(number)s cannot move to %(target)s: it needs %(missing)s.")
        % {"number": ticket.number, "target": ProblemState(target).label, "missing": names},
        code="guard_failed", extra={"missing": missing},
    )


def _require_manager(actor: User | None) -> None:
    if actor is not None and not can_manage_problems(actor):
        raise NotPermitted(_("Only problem managers can do this."))


def _require_desk(actor: User | None) -> None:
    if actor is None or not can_work_tickets(actor):
        raise NotPermitted(_("Only service desk staff can do this."))


def _lock(ticket: Ticket, expected_version: int | None) -> tuple[Ticket, Problem]:
    if ticket.kind != TicketKind.PROBLEM:
        raise DomainError(_("%(number)s is not a problem.") % {"number": ticket.number}, code="not_a_problem")
    locked = desk.ticket_lock(ticket=ticket, expected_version=expected_version)
    problem = Problem.objects.select_for_update().get(pk=locked.pk)
    locked.problem = problem
    problem.ticket = locked
    return locked, problem


def _validate_impact_urgency(**values) -> None:
    errors = {name: _("Choose 1 (high), 2 (medium) or 3 (low).")
              for name, value in values.items() if value not in (1, 2, 3)}
    if errors:
        raise ValidationError(errors)


def _validate_service(service: ConfigurationItem | None, name: str = "service") -> None:
    if service is not None and not service.is_service:
        raise ValidationError({name: _("%(name)s is not a business service.") % {"name": service.name}})


def _validate_category(category: Category | None) -> None:
    if category is not None and not category.active:
        raise ValidationError({"category": _("This category is no longer in use.")})


def _validate_manager(user: User | None) -> None:
    if user is not None and not can_manage_problems(user):
        raise ValidationError({"problem_manager": _("%(user)s is not a problem manager.")
                               % {"user": user.display_name}})


def priority_of(impact: int, urgency: int) -> int:
    """The incident matrix (incidents.models.PriorityMatrix): one priority rule for both processes."""
    from incidents.models import priority_for

    return priority_for(impact, urgency)


def _check_linkable(incident: Ticket, problem_ticket: Ticket | None = None) -> None:
    if incident.kind != TicketKind.INCIDENT:
        raise ValidationError({"incidents": _("%(number)s is not an incident.") % {"number": incident.number}})
    other = ProblemIncident.objects.filter(incident=incident).select_related("problem__ticket").first()
    if other is not None and (problem_ticket is None or other.problem_id != problem_ticket.pk):
        raise DomainError(
            _("%(incident)s is already linked to %(problem)s; unlink it there first.")
            % {"incident": incident.number, "problem": other.problem.ticket.number},
            code="already_linked", extra={"problem": other.problem.ticket.number})


def _mark_updated(incident: Ticket) -> None:
    """The incident's timeline moved: its ``updated_at`` follows, its version does not (as for a
    comment), so an agent's open edit form on the incident does not turn stale."""
    Ticket.objects.filter(pk=incident.pk).update(updated_at=timezone.now())


def _link(problem_ticket: Ticket, problem: Problem, incident: Ticket, actor: User | None) -> bool:
    _check_linkable(incident, problem_ticket)
    _link_row, created = ProblemIncident.objects.get_or_create(problem=problem, incident=incident,
                                                               defaults={"linked_by": actor})
    if created:
        # System notes rather than field changes: a link is no field of either record.
        desk.timeline_record(ticket=incident, actor=actor, kind=EventKind.FIELDS, changes={},
                             note_code="problem_linked", note_params={"number": problem_ticket.number})
        _mark_updated(incident)
        desk.timeline_record(ticket=problem_ticket, actor=actor, kind=EventKind.FIELDS, changes={},
                             note_code="incident_linked", note_params={"number": incident.number})
    return created


# --- Recording a problem --------------------------------------------------------------------


@service
def problem_create(*, actor: User, title: str = "", description: str = "", impact: int = 3, urgency: int = 2,
                   category: Category | None = None, service: ConfigurationItem | None = None,
                   cis: list[ConfigurationItem] | None = None, team: Team | None = None,
                   assignee: User | None = None, problem_manager: User | None = None,
                   incidents: list[Ticket] | None = None, note_code: str = "",
                   note_params: dict | None = None) -> Ticket:
    """Record a problem (every desk role). With ``incidents`` it is raised from them: they are
    linked, and the first one's title, category, service and CIs fill what is not given."""
    _require_desk(actor)
    incidents = list(incidents or [])
    if len(incidents) > MAX_INCIDENTS_AT_ONCE:
        raise ValidationError({"incidents": _("Link at most %(n)s incidents at once.") % {"n": MAX_INCIDENTS_AT_ONCE}})
    for incident in incidents:
        _check_linkable(incident)
    if incidents:
        first = incidents[0]
        title = title or first.title
        category = category or first.category
        service = service or first.service
        if cis is None:
            cis = list(ConfigurationItem.objects.filter(ticket_links__ticket__in=incidents).distinct())
    if not (title or "").strip():
        raise ValidationError({"title": _("Give the problem a title.")})
    _validate_impact_urgency(impact=impact, urgency=urgency)
    _validate_service(service)
    _validate_category(category)
    _validate_manager(problem_manager)
    if cis and len(cis) > MAX_CIS:
        raise ValidationError({"cis": _("A problem can name at most %(n)s configuration items.") % {"n": MAX_CIS}})
    if team is None and service is not None and service.support_team_id:
        team = service.support_team
    ticket = desk.ticket_create(
        kind=TicketKind.PROBLEM, workflow=PROBLEM_WORKFLOW, actor=actor, requester=actor, title=title,
        description=description, priority=priority_of(impact, urgency), team=team, assignee=assignee,
        category=category, service=service,
    )
    problem = Problem(ticket=ticket, impact=impact, urgency=urgency, problem_manager=problem_manager)
    problem.save(force_insert=True)
    ticket.problem = problem
    if cis:
        desk.ticket_link_cis(ticket=ticket, actor=actor, cis=cis)
    for incident in incidents:
        _link(ticket, problem, incident, actor)
    if incidents or note_code:
        desk.timeline_record(ticket=ticket, actor=actor, kind=EventKind.FIELDS, changes={},
                             note_code=note_code or "problem_raised_from",
                             note_params=note_params or {"numbers": ", ".join(i.number for i in incidents)})
    if problem_manager is not None and problem_manager.pk != actor.pk:
        notify(ticket=ticket, recipients=[problem_manager], reason="assigned")
    return ticket


@service
def problem_update(*, ticket: Ticket, actor: User, expected_version: int | None = None, **changes) -> Ticket:
    """Change the recorded fields of a problem, all or nothing; impact or urgency re-derive the priority.
    ``cis`` replaces the named CIs; ``team`` and ``assignee`` go through assignment."""
    _require_desk(actor)
    cis = changes.pop("cis", None)
    assignment = {name: changes.pop(name) for name in ("team", "assignee") if name in changes}
    unknown = set(changes) - TICKET_FIELDS - PROBLEM_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    ticket, problem = _lock(ticket, expected_version)
    if not ticket.active:
        raise DomainError(_("%(number)s is %(state)s and can no longer be edited.")
                          % {"number": ticket.number, "state": ProblemState(ticket.state).label}, code="not_active")
    if "service" in changes:
        _validate_service(changes["service"])
    if "category" in changes:
        _validate_category(changes["category"])
    if "problem_manager" in changes:
        _validate_manager(changes["problem_manager"])
    _validate_impact_urgency(**{k: changes[k] for k in ("impact", "urgency") if k in changes})
    if "title" in changes:
        changes["title"] = (changes["title"] or "").strip()
        if not changes["title"]:
            raise ValidationError({"title": _("Give the problem a title.")})
    before = {k: getattr(problem, k) for k in changes if k in PROBLEM_FIELDS}
    detail_changes = {k: v for k, v in changes.items() if k in PROBLEM_FIELDS and before[k] != v}
    for name, value in detail_changes.items():
        setattr(problem, name, value)
    if detail_changes:
        problem.save(update_fields=list(detail_changes))
    ticket_changes = {k: v for k, v in changes.items() if k in TICKET_FIELDS}
    ticket_changes["priority"] = priority_of(problem.impact, problem.urgency)
    desk.ticket_update_fields(ticket=ticket, actor=actor, changes=ticket_changes,
                              details={k: (before[k], v) for k, v in detail_changes.items()})
    if assignment:
        team = assignment.get("team", ticket.team)
        assignee = assignment.get("assignee", ticket.assignee if team and ticket.team_id == team.pk else None)
        desk.ticket_assign(ticket=ticket, actor=actor, team=team, assignee=assignee)
    if cis is not None:
        if len(cis) > MAX_CIS:
            raise ValidationError({"cis": _("A problem can name at most %(n)s configuration items.") % {"n": MAX_CIS}})
        wanted = {ci.pk for ci in cis}
        for ci in ConfigurationItem.objects.filter(ticket_links__ticket=ticket).exclude(pk__in=wanted):
            desk.ticket_unlink_ci(ticket=ticket, actor=actor, ci=ci)
        desk.ticket_link_cis(ticket=ticket, actor=actor, cis=cis)
    return ticket


# --- Root-cause analysis --------------------------------------------------------------------


def _text(value) -> str:
    return str(value or "").strip()


def clean_rca_content(method: str, content) -> dict:
    """The analysis in its method's shape, trimmed; a field error names what is wrong.

    5 whys: ``{"whys": [{"why", "answer"}]}``; fishbone: ``{"causes": {category: [text]}}``;
    timeline: ``{"events": [{"at", "event"}]}``; fault tree: ``{"events": [{"event", "causes": [text]}]}``.
    """
    if not method:
        return {}
    content = content if isinstance(content, dict) else None
    if content is None:
        raise ValidationError({"rca_content": _("Give the analysis as an object.")})
    error = ValidationError({"rca_content": _("The analysis does not fit the chosen method.")})
    try:
        if method == RcaMethod.FIVE_WHYS:
            whys = [{"why": _text(w.get("why")), "answer": _text(w.get("answer"))} for w in content.get("whys", [])]
            whys = [w for w in whys if w["why"] or w["answer"]]
            return {"whys": whys[:MAX_RCA_ITEMS]}
        if method == RcaMethod.FISHBONE:
            causes = content.get("causes", {})
            if not isinstance(causes, dict) or set(causes) - set(FishboneCategory.values):
                raise error
            return {"causes": {cat: [_text(c) for c in items if _text(c)][:MAX_RCA_ITEMS]
                               for cat, items in causes.items() if isinstance(items, list)}}
        if method == RcaMethod.TIMELINE:
            events = [{"at": _text(e.get("at")), "event": _text(e.get("event"))} for e in content.get("events", [])]
            return {"events": [e for e in events if e["event"]][:MAX_RCA_ITEMS]}
        if method == RcaMethod.FAULT_TREE:
            events = [{"event": _text(e.get("event")), "causes": [_text(c) for c in e.get("causes", []) if _text(c)]}
                      for e in content.get("events", [])]
            return {"events": [e for e in events if e["event"]][:MAX_RCA_ITEMS]}
    except (AttributeError, TypeError):
        raise error from None
    raise ValidationError({"rca_method": _("Unknown analysis method.")})


@service
def problem_record_rca(*, ticket: Ticket, actor: User, expected_version: int | None = None, rca_method: str = "",
                       rca_content=None, root_cause: str = "", cause_category: str = "") -> Ticket:
    """Record the root-cause analysis (problem managers): method, its content, statement, category."""
    _require_manager(actor)
    if rca_method and rca_method not in RcaMethod.values:
        raise ValidationError({"rca_method": _("Unknown analysis method.")})
    if cause_category and cause_category not in CauseCategory.values:
        raise ValidationError({"cause_category": _("Unknown cause category.")})
    root_cause = (root_cause or "").strip()
    if len(root_cause) > MAX_BODY_CHARS:
        raise ValidationError({"root_cause": _("The text is too long.")})
    content = clean_rca_content(rca_method, rca_content or {})
    ticket, problem = _lock(ticket, expected_version)
    if ticket.state in (ProblemState.CLOSED, ProblemState.CANCELLED):
        raise DomainError(_("%(number)s is closed; its analysis can no longer change.") % {"number": ticket.number},
                          code="not_active")
    new = {"rca_method": rca_method, "rca_content": content, "root_cause": root_cause,
           "cause_category": cause_category}
    before = {k: getattr(problem, k) for k in new}
    changed = {k: v for k, v in new.items() if before[k] != v}
    if changed:
        for name, value in changed.items():
            setattr(problem, name, value)
        problem.save(update_fields=list(changed))
        details = {k: (before[k], v) for k, v in changed.items() if k != "rca_content"}
        if "rca_content" in changed:
            details["rca_content"] = ("", _count_label(content))
        desk.ticket_update_fields(ticket=ticket, actor=actor, changes={}, details=details)
    return ticket


def _count_label(content: dict) -> str:
    items = content.get("whys") or content.get("events") or [c for cs in content.get("causes", {}).values() for c in cs]
    return f"{len(items)}"


# --- Incidents ------------------------------------------------------------------------------


@service
def problem_link_incidents(*, ticket: Ticket, actor: User, incidents: list[Ticket]) -> list[str]:
    """Link incidents to the problem (every desk role); returns the numbers newly linked.

    An incident belongs to one problem at a time (409 ``already_linked``); a closed or cancelled
    problem takes no more incidents.
    """
    _require_desk(actor)
    ticket, problem = _lock(ticket, None)
    _require_open(ticket, _("%(number)s is closed and takes no more incidents."))
    if len(incidents) > MAX_INCIDENTS_AT_ONCE:
        raise ValidationError({"incidents": _("Link at most %(n)s incidents at once.") % {"n": MAX_INCIDENTS_AT_ONCE}})
    linked = [i.number for i in incidents if _link(ticket, problem, i, actor)]
    if linked:
        desk.touch(ticket)
    return linked


def _require_open(ticket: Ticket, message: str) -> None:
    """A closed or cancelled problem keeps its incidents and changes as they were (409 ``not_active``)."""
    if ticket.state in (ProblemState.CLOSED, ProblemState.CANCELLED):
        raise DomainError(message % {"number": ticket.number}, code="not_active")


@service
def problem_unlink_incident(*, ticket: Ticket, actor: User, incident: Ticket) -> bool:
    _require_desk(actor)
    ticket, problem = _lock(ticket, None)
    _require_open(ticket, _("%(number)s is closed: its incidents stay as they were."))
    deleted, _rows = ProblemIncident.objects.filter(problem=problem, incident=incident).delete()
    if deleted:
        desk.touch(ticket)
        desk.timeline_record(ticket=ticket, actor=actor, kind=EventKind.FIELDS, changes={},
                             note_code="incident_unlinked", note_params={"number": incident.number})
        desk.timeline_record(ticket=incident, actor=actor, kind=EventKind.FIELDS, changes={},
                             note_code="problem_unlinked", note_params={"number": ticket.number})
        _mark_updated(incident)
    return bool(deleted)


@dataclass
class IncidentResolution:
    """What resolving the linked incidents did: the numbers resolved, and those that could not move, with why."""

    resolved: list[str] = field(default_factory=list)
    not_resolved: list[dict] = field(default_factory=list)  # {"number", "reason"}


def _resolve_linked_incidents(ticket: Ticket, actor: User, note: str) -> IncidentResolution:
    """Each open linked incident through the incident service and workflow, in its own savepoint:
    one that cannot move is listed with the reason, the others still move."""
    from incidents.choices import ResolutionCode
    from incidents.services import incident_transition

    result = IncidentResolution()
    open_incidents = Ticket.objects.filter(problem_link__problem_id=ticket.pk, active=True).order_by("id")
    for incident in open_incidents:
        try:
            incident_transition(ticket=incident, actor=actor, to="resolved",
                                resolution_code=ResolutionCode.SOLVED_PERMANENTLY, resolution_notes=note,
                                note=note, note_code="problem_resolved_incident",
                                note_params={"number": ticket.number})
        except (DomainError, ValidationError) as error:
            reason = getattr(error, "detail", None) or " ".join(
                m for ms in getattr(error, "message_dict", {"": error.messages}).values() for m in ms)
            result.not_resolved.append({"number": incident.number, "reason": str(reason)})
        else:
            result.resolved.append(incident.number)
    return result


# --- Lifecycle ------------------------------------------------------------------------------


def has_successful_change(ticket: Ticket) -> bool:
    """A change addressing the problem was closed with a successful outcome."""
    from changes.choices import ChangeState, ImplementationOutcome, LinkRelation
    from changes.models import ChangeLink

    return ChangeLink.objects.filter(
        ticket_id=ticket.pk, relation=LinkRelation.ADDRESSES, change__ticket__state=ChangeState.CLOSED,
        change__outcome__in=[ImplementationOutcome.SUCCESSFUL, ImplementationOutcome.SUCCESSFUL_WITH_ISSUES],
    ).exists()


def missing_for(ticket: Ticket, problem: Problem, target: str, *, no_change_reason: str = "",
                root_cause: str = "") -> list[str]:
    missing = []
    if target == ProblemState.RESOLVED and not (no_change_reason or "").strip() and not has_successful_change(ticket):
        missing.append("successful_change_or_reason")
    if target == ProblemState.CLOSED and not (problem.root_cause.strip() or (root_cause or "").strip()):
        missing.append("root_cause")
    return missing


@service
def problem_transition(*, ticket: Ticket, actor: User | None, to: str, expected_version: int | None = None,
                       reason: str = "", no_change_reason: str = "", resolution_notes: str = "",
                       resolve_incidents: bool = False,
                       incident_note: str = "") -> tuple[Ticket, IncidentResolution | None]:
    """Move a problem along its workflow, after the guards of the target state (problem managers).

    Resolved needs a linked change closed successfully or ``no_change_reason``; Closed needs the root
    cause. Resolving retires the problem's known errors (the fix is in), and with
    ``resolve_incidents`` resolves its open linked incidents, each through its own workflow, with
    ``incident_note`` as a public note to their requesters; those that cannot move are listed.
    """
    _require_manager(actor)
    ticket, problem = _lock(ticket, expected_version)
    roles = desk.actor_roles(ticket=ticket, actor=actor)
    transition = PROBLEM_WORKFLOW.find(ticket.state, to, roles)
    if transition is None:
        desk.ticket_change_state(ticket=ticket, workflow=PROBLEM_WORKFLOW, target=to, actor=actor, roles=roles)
    reason = (reason or "").strip()
    if "reason" in transition.requires and not reason:
        raise ValidationError({"reason": _("Say why.")})
    incident_note = (incident_note or "").strip()
    if to == ProblemState.RESOLVED and resolve_incidents and not incident_note:
        raise ValidationError({"incident_note": _("Write the note the requesters will read.")})
    missing = missing_for(ticket, problem, to, no_change_reason=no_change_reason)
    if missing:
        raise guard_failed(ticket, to, missing)
    note_code, note_params = "", None
    if to == ProblemState.CANCELLED:
        note_code, note_params = "problem_cancelled", {"reason": reason}
    elif to == ProblemState.RESOLVED and (no_change_reason or "").strip() and not has_successful_change(ticket):
        note_code, note_params = "problem_no_change", {"reason": no_change_reason.strip()}
    desk.ticket_change_state(ticket=ticket, workflow=PROBLEM_WORKFLOW, target=to, actor=actor, roles=roles,
                             note_code=note_code, note_params=note_params)
    changed = []
    if to == ProblemState.RESOLVED:
        problem.no_change_reason = (no_change_reason or "").strip()
        problem.resolution_notes = (resolution_notes or "").strip()
        changed += ["no_change_reason", "resolution_notes"]
        # Bumps the version too, so an edit form opened before cannot make them active again unnoticed.
        now = timezone.now()
        KnownError.objects.filter(problem=problem, status=KnownErrorStatus.ACTIVE).update(
            status=KnownErrorStatus.RETIRED, retired_at=now, updated_at=now, version=F("version") + 1)
    if changed:
        problem.save(update_fields=changed)
    result = None
    if to == ProblemState.RESOLVED and resolve_incidents:
        result = _resolve_linked_incidents(ticket, actor, incident_note)
    return ticket, result


def available_actions(ticket: Ticket, user: User | None) -> list[dict]:
    """The moves ``user`` may offer now, each with ``blocked`` guard codes (pages and the API).
    ``ticket.problem`` must be loaded; only problem managers move problems."""
    if user is None or not can_manage_problems(user):
        return []
    roles = desk.actor_roles(ticket=ticket, actor=user)
    actions = []
    for transition in PROBLEM_WORKFLOW.transitions_from(ticket.state, roles):
        blocked = missing_for(ticket, ticket.problem, transition.target)
        if transition.target == ProblemState.RESOLVED:
            blocked = []  # the form asks for the "no change needed" reason when no change closed successfully
        actions.append({"target": transition.target, "name": transition.name or transition.target,
                        "label": transition.label, "style": transition.style, "confirm": transition.confirm,
                        "requires": transition.requires, "blocked": blocked})
    return actions


# --- Changes --------------------------------------------------------------------------------


@service
def problem_raise_change(*, ticket: Ticket, actor: User, **fields) -> Ticket:
    """Raise a change that addresses the problem (linked both ways: the change's links and the problem's panel)."""
    from changes.services import change_from_ticket

    if ticket.kind != TicketKind.PROBLEM:
        raise DomainError(_("%(number)s is not a problem.") % {"number": ticket.number}, code="not_a_problem")
    _require_open(ticket, _("%(number)s is closed: raise a change from an open problem."))
    return change_from_ticket(actor=actor, ticket=ticket, **fields)


# --- Known errors ---------------------------------------------------------------------------

KNOWN_ERROR_FIELDS = {"title", "symptoms", "root_cause", "workaround", "workaround_public", "status", "problem",
                      "category"}


@service
def known_error_save(*, actor: User, known_error: KnownError | None = None, expected_version: int | None = None,
                     cis: list[ConfigurationItem] | None = None, services: list[ConfigurationItem] | None = None,
                     **fields) -> KnownError:
    """Record or edit a known error (problem managers). Its workaround is Markdown, sanitised when shown."""
    _require_manager(actor)
    unknown = set(fields) - KNOWN_ERROR_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    if known_error is None:
        known_error = KnownError(created_by=actor)
    else:
        known_error = KnownError.objects.select_for_update().get(pk=known_error.pk)
        if expected_version is not None and known_error.version != expected_version:
            from esm.errors import StaleVersion

            raise StaleVersion(current_version=known_error.version)
    for name, value in fields.items():
        setattr(known_error, name, value.strip() if isinstance(value, str) else value)
    errors = {}
    for name in ("title", "symptoms"):
        if not getattr(known_error, name):
            errors[name] = _("This field is required.")
    for name in ("symptoms", "root_cause", "workaround"):
        value = getattr(known_error, name)
        if len(value) > MAX_BODY_CHARS or "\x00" in value:
            errors[name] = _("The text is too long or contains invalid characters.")
    if known_error.status not in KnownErrorStatus.values:
        errors["status"] = _("Unknown status.")
    if known_error.workaround_public and not known_error.workaround:
        errors["workaround_public"] = _("Write the workaround before showing it to requesters.")
    if errors:
        raise ValidationError(errors)
    if "category" in fields:
        _validate_category(fields["category"])
    for item in services or []:
        _validate_service(item, "services")
    if known_error.status == KnownErrorStatus.RETIRED and known_error.retired_at is None:
        known_error.retired_at = timezone.now()
    elif known_error.status == KnownErrorStatus.ACTIVE:
        known_error.retired_at = None
    if known_error.pk:
        known_error.version += 1
    known_error.save()
    if cis is not None:
        known_error.cis.set(cis)
    if services is not None:
        known_error.services.set(services)
    return known_error


@service
def known_error_apply(*, actor: User, known_error: KnownError, incident: Ticket, tell_requester: bool = False,
                      message: str = "") -> KnownErrorUse:
    """Apply a workaround to an incident (every desk role): linked to it, written to its timeline
    and, with ``tell_requester``, sent to the requester as a public reply (``message`` or the workaround)."""
    _require_desk(actor)
    if incident.kind != TicketKind.INCIDENT:
        raise ValidationError({"incident": _("%(number)s is not an incident.") % {"number": incident.number}})
    known_error = KnownError.objects.get(pk=known_error.pk)  # retired since the page showed it?
    if known_error.status != KnownErrorStatus.ACTIVE:
        raise DomainError(_("This known error is retired; its workaround is no longer offered."), code="retired")
    incident = desk.ticket_lock(ticket=incident, expected_version=None)
    use, created = KnownErrorUse.objects.get_or_create(known_error=known_error, incident=incident,
                                                       defaults={"applied_by": actor})
    if created:
        desk.touch(incident)
        desk.timeline_record(ticket=incident, actor=actor, kind=EventKind.FIELDS, changes={},
                             note_code="workaround_applied",
                             note_params={"id": known_error.pk, "title": known_error.title})
    if tell_requester:
        body = (message or "").strip() or known_error.workaround
        if not body:
            raise ValidationError({"message": _("Write the message for the requester.")})
        desk.comment_add(ticket=incident, actor=actor, body=body, public=True)
        if not use.told_requester:
            use.told_requester = True
            use.save(update_fields=["told_requester"])
    return use


# --- Candidates (recurring incidents) --------------------------------------------------------


def _signature(reason: str, key: str) -> str:
    return f"{reason}:{hashlib.md5(key.encode()).hexdigest()}"  # noqa: S324 - a name, not a secret


# Incidents of the window not linked to a problem, clustered by CI and by normalised title (lower
# case, digits and punctuation removed). Walks an opened_at index (kind and opened_at, or opened_at
# alone) from the window's start, so the cost follows the window's incidents, not the table. A
# dismissed cluster counts only incidents opened after.
CLUSTERS_SQL = """
WITH recent AS (
    SELECT t.id, t.title, t.opened_at FROM servicedesk_ticket t
    WHERE t.opened_at >= %(since)s AND t.kind = 'incident' AND t.state <> 'cancelled'
      AND NOT EXISTS (SELECT 1 FROM problems_problemincident pi WHERE pi.incident_id = t.id)
),
dismissed AS (
    SELECT signature, max(decided_at) AS at FROM problems_problemcandidate WHERE state = 'dismissed'
    GROUP BY signature
),
by_ci AS (
    SELECT 'same_ci' AS reason, tc.ci_id::text AS key, tc.ci_id, r.id, r.title, r.opened_at
    FROM recent r JOIN servicedesk_ticketci tc ON tc.ticket_id = r.id
),
by_text AS (
    SELECT 'similar_text' AS reason, k.key, NULL::bigint AS ci_id, r.id, r.title, r.opened_at
    FROM recent r,
         LATERAL (SELECT btrim(regexp_replace(lower(r.title), '[[:digit:][:punct:][:space:]]+', ' ', 'g')) AS key) k
    WHERE length(k.key) >= 8
),
members AS (SELECT * FROM by_ci UNION ALL SELECT * FROM by_text)
SELECT m.reason, m.key, min(m.ci_id) AS ci_id, array_agg(m.id ORDER BY m.id) AS ids,
       (array_agg(m.title ORDER BY m.opened_at DESC))[1] AS title, min(m.opened_at), max(m.opened_at)
FROM members m
LEFT JOIN dismissed d ON d.signature = m.reason || ':' || md5(m.key)
WHERE d.at IS NULL OR m.opened_at > d.at
GROUP BY m.reason, m.key
HAVING count(*) >= %(min)s
"""


@dataclass
class DetectionResult:
    proposed: list[int] = field(default_factory=list)
    updated: list[int] = field(default_factory=list)


@service
def candidates_detect(*, actor: User | None = None, now=None, min_incidents: int | None = None,
                      window_days: int | None = None) -> DetectionResult:
    """Find recurring incidents and propose (or refresh) a candidate per cluster; problem managers are told
    of new ones. Run by the beat task ``problems.detect_candidates``."""
    now = now or timezone.now()
    min_incidents = min_incidents or settings.PROBLEM_CANDIDATE_MIN_INCIDENTS
    window_days = window_days or settings.PROBLEM_CANDIDATE_WINDOW_DAYS
    with connection.cursor() as cursor:
        cursor.execute(CLUSTERS_SQL, {"since": now - timedelta(days=window_days), "min": min_incidents})
        clusters = cursor.fetchall()
    result = DetectionResult()
    open_by_signature = {c.signature: c for c in ProblemCandidate.objects.filter(state=CandidateState.OPEN)}
    new, changed, members = [], [], {}
    for reason, key, ci_id, ids, title, first, last in clusters:
        signature = _signature(reason, key)
        candidate = open_by_signature.get(signature)
        if candidate is None:
            candidate = ProblemCandidate(signature=signature, reason=reason, ci_id=ci_id, title=title[:200],
                                         incident_count=len(ids), first_opened_at=first, last_opened_at=last,
                                         created_at=now)
            new.append(candidate)
        elif candidate.incident_count != len(ids) or candidate.last_opened_at != last:
            candidate.incident_count, candidate.first_opened_at, candidate.last_opened_at = len(ids), first, last
            candidate.title = title[:200]
            changed.append(candidate)
        else:
            continue
        members[signature] = ids
    # Set-based writes: a first run over a busy window proposes hundreds of clusters at once.
    ProblemCandidate.objects.bulk_create(new)
    ProblemCandidate.objects.bulk_update(changed, ["incident_count", "first_opened_at", "last_opened_at", "title"])
    through = ProblemCandidate.incidents.through
    through.objects.filter(problemcandidate_id__in=[c.pk for c in changed]).delete()
    through.objects.bulk_create([through(problemcandidate_id=c.pk, ticket_id=ticket_id)
                                 for c in (*new, *changed) for ticket_id in members[c.signature]])
    result.proposed = [c.pk for c in new]
    result.updated = [c.pk for c in changed]
    if result.proposed:
        _tell_problem_managers(ProblemCandidate.objects.filter(pk__in=result.proposed))
    return result


def _tell_problem_managers(candidates) -> None:
    """An e-mail per new candidate to each problem manager (the outbox; sent after commit)."""
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils import translation

    from esm.queueing import enqueue_on_commit
    from servicedesk.notifications import mail_subject
    from servicedesk.tasks import send_notification

    from .queries import problem_managers

    managers = list(problem_managers().exclude(email=""))
    rows = []
    for candidate in candidates:
        for user in managers:
            with translation.override(user.language or settings.LANGUAGE_CODE):
                url = settings.SITE_URL + reverse("desk-problems:candidates")
                ctx = {"candidate": candidate, "recipient": user, "url": url,
                       "reason_label": CandidateReason(candidate.reason).label}
                subject = _("Recurring incidents: %(title)s") % {"title": candidate.title}
                rows.append(Notification(recipient=user, to_email=user.email, reason="problem_candidate",
                                         subject=mail_subject(subject),
                                         body=render_to_string("email/problem_candidate.txt", ctx)))
    for note in Notification.objects.bulk_create(rows):
        enqueue_on_commit(send_notification, note.pk)


def _open_candidate(candidate: ProblemCandidate) -> ProblemCandidate:
    candidate = ProblemCandidate.objects.select_for_update().get(pk=candidate.pk)
    if candidate.state != CandidateState.OPEN:
        raise DomainError(_("This candidate was already %(state)s.") % {"state": candidate.get_state_display()},
                          code="candidate_decided")
    return candidate


@service
def candidate_accept(*, actor: User, candidate: ProblemCandidate, **fields) -> Ticket:
    """Accept a candidate (problem managers): a problem with its incidents that are still unlinked."""
    _require_manager(actor)
    candidate = _open_candidate(candidate)
    incidents = list(candidate.incidents.filter(problem_link__isnull=True).order_by("id"))
    if not incidents:
        raise DomainError(_("Every incident of this candidate is already linked to a problem."),
                          code="nothing_to_link")
    ticket = problem_create(actor=actor, incidents=incidents, title=fields.pop("title", "") or candidate.title,
                            note_code="problem_candidate_accepted", note_params={"title": candidate.title},
                            **fields)
    candidate.state, candidate.decided_by, candidate.decided_at = CandidateState.ACCEPTED, actor, timezone.now()
    candidate.problem_id = ticket.pk
    candidate.save(update_fields=["state", "decided_by", "decided_at", "problem"])
    return ticket


@service
def candidate_dismiss(*, actor: User, candidate: ProblemCandidate) -> ProblemCandidate:
    """Dismiss a candidate (problem managers); the same cluster is not proposed again for these incidents."""
    _require_manager(actor)
    candidate = _open_candidate(candidate)
    candidate.state, candidate.decided_by, candidate.decided_at = CandidateState.DISMISSED, actor, timezone.now()
    candidate.save(update_fields=["state", "decided_by", "decided_at"])
    return candidate

