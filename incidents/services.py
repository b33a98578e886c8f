"""Incident management: every write to an incident, from pages, API, tasks and admin alike."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from accounts.roles import can_manage_major_incidents, can_work_tickets
from cmdb.models import ConfigurationItem
from esm.errors import DomainError, NotPermitted
from esm.services import service
from servicedesk import services as desk
from servicedesk.choices import EventKind, TicketKind
from servicedesk.models import Category, Comment, Ticket
from servicedesk.notifications import notify
from servicedesk.workflow import Actor

from .choices import Channel, IncidentState, OnHoldReason, ResolutionCode
from .models import Incident, priority_for
from .workflow import INCIDENT_WORKFLOW

TICKET_FIELDS = {"title", "description", "category", "service"}
INCIDENT_FIELDS = {"impact", "urgency", "channel"}


def _lock(ticket: Ticket, expected_version: int | None) -> tuple[Ticket, Incident]:
    if ticket.kind != TicketKind.INCIDENT:
        raise DomainError(_("%(number)s is not an incident.") % {"number": ticket.number}, code="not_an_incident")
    locked = desk.ticket_lock(ticket=ticket, expected_version=expected_version)
    incident = Incident.objects.select_for_update().get(pk=locked.pk)
    locked.incident = incident
    return locked, incident


def _validate_service(service: ConfigurationItem | None) -> None:
    if service is not None and not service.is_service:
        raise ValidationError({"service": _("%(name)s is not a business service.") % {"name": service.name}})


def _validate_impact_urgency(**values) -> None:
    errors = {name: _("Choose 1 (high), 2 (medium) or 3 (low).")
              for name, value in values.items() if value not in (1, 2, 3)}
    if errors:
        raise ValidationError(errors)


def _validate_category(category: Category | None) -> None:
    if category is not None and not category.active:
        raise ValidationError({"category": _("This category is no longer in use.")})


# --- Opening --------------------------------------------------------------------------------


@service
def incident_open(*, actor: User, requester: User, title: str, description: str = "", impact: int,
                  urgency: int, channel: str = Channel.PORTAL, category: Category | None = None,
                  service: ConfigurationItem | None = None, team: Team | None = None,
                  assignee: User | None = None, cis: list[ConfigurationItem] | None = None,
                  attachments=()) -> Ticket:
    """Open an incident for ``requester``. Requesters open their own; agents open on behalf of callers.

    ``attachments`` (uploaded files) are stored with it, all or nothing.
    """
    is_agent = can_work_tickets(actor)
    if not is_agent:
        if requester.pk != actor.pk:
            raise NotPermitted(_("You can only report incidents for yourself."))
        if team is not None or assignee is not None or cis:
            raise NotPermitted(_("Only service desk staff can assign incidents or link configuration items."))
    if not requester.is_active:
        raise ValidationError({"requester": _("This person's account is disabled.")})
    _validate_impact_urgency(impact=impact, urgency=urgency)
    _validate_service(service)
    _validate_category(category)
    if channel not in Channel.values:
        raise ValidationError({"channel": _("Unknown channel.")})
    if team is None and service is not None and service.support_team_id:
        team = service.support_team  # route to the team that supports the service
    ticket = desk.ticket_create(
        kind=TicketKind.INCIDENT, workflow=INCIDENT_WORKFLOW, actor=actor, requester=requester, title=title,
        description=description, priority=priority_for(impact, urgency), team=team, assignee=assignee,
        category=category, service=service,
    )
    incident = Incident(ticket=ticket, impact=impact, urgency=urgency, channel=channel)
    incident.save(force_insert=True)
    ticket.incident = incident
    if cis:
        desk.ticket_link_cis(ticket=ticket, actor=actor, cis=cis)
    if attachments:
        desk.attachments_add(ticket=ticket, actor=actor, uploads=attachments, public=True)
    notify(ticket=ticket, recipients=[requester], reason="created")
    if assignee is not None and assignee.pk != actor.pk:
        notify(ticket=ticket, recipients=[assignee], reason="assigned")
    elif team is not None and assignee is None:
        notify(ticket=ticket, recipients=list(team.members.filter(is_active=True)), reason="team_assigned",
               extra_addresses=[team.email] if team.email else [])
    return ticket


# --- Fields ---------------------------------------------------------------------------------


@service
def incident_update(*, ticket: Ticket, actor: User, expected_version: int | None = None, **changes) -> Ticket:
    """Change the editable fields of an incident; impact or urgency re-derives the priority.

    ``team`` and ``assignee`` may come with them (one request, all or nothing): a new team starts
    without an assignee unless one is given, the same team keeps its assignee.
    """
    assignment = {name: changes.pop(name) for name in ("team", "assignee") if name in changes}
    if changes or not assignment:
        ticket = _update_fields(ticket=ticket, actor=actor, expected_version=expected_version, **changes)
        expected_version = ticket.version if expected_version is not None else None
    if assignment:
        team = assignment.get("team", ticket.team)
        if "assignee" in assignment:
            assignee = assignment["assignee"]
        else:
            assignee = ticket.assignee if team is not None and ticket.team_id == team.pk else None
        ticket = incident_assign(ticket=ticket, actor=actor, team=team, assignee=assignee,
                                 expected_version=expected_version)
    return ticket


def _update_fields(*, ticket: Ticket, actor: User, expected_version: int | None, **changes) -> Ticket:
    desk.require_agent(actor)
    unknown = set(changes) - TICKET_FIELDS - INCIDENT_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    ticket, incident = _lock(ticket, expected_version)
    if not ticket.active:
        state = INCIDENT_WORKFLOW.state(ticket.state).label
        raise DomainError(_("%(number)s is %(state)s; reopen it before editing.")
                          % {"number": ticket.number, "state": state}, code="not_active")
    if "service" in changes:
        _validate_service(changes["service"])
    if "category" in changes:
        _validate_category(changes["category"])
    _validate_impact_urgency(**{k: changes[k] for k in ("impact", "urgency") if k in changes})
    if "title" in changes:
        changes["title"] = (changes["title"] or "").strip()

    incident_changes = {k: v for k, v in changes.items() if k in INCIDENT_FIELDS and getattr(incident, k) != v}
    incident_before = {k: getattr(incident, k) for k in incident_changes}
    for name, value in incident_changes.items():
        setattr(incident, name, value)
    if "channel" in incident_changes and incident_changes["channel"] not in Channel.values:
        raise ValidationError({"channel": _("Unknown channel.")})
    if incident_changes:
        incident.save(update_fields=list(incident_changes))

    ticket_changes = {k: v for k, v in changes.items() if k in TICKET_FIELDS}
    ticket_changes["priority"] = priority_for(incident.impact, incident.urgency)
    # The service desk records both, and sends ticket_fields_changed / ticket_priority_changed.
    desk.ticket_update_fields(ticket=ticket, actor=actor, changes=ticket_changes,
                              details={k: (incident_before[k], v) for k, v in incident_changes.items()})
    if ticket.priority != 1 and incident.major:
        incident.major = False
        incident.save(update_fields=["major"])
    return ticket


# --- Lifecycle ------------------------------------------------------------------------------


def _require(fields: dict, names: tuple[str, ...]) -> None:
    missing = {name: _("This field is required for this step.") for name in names if not fields.get(name)}
    if missing:
        raise ValidationError(missing)


@service
def incident_transition(*, ticket: Ticket, actor: User | None, to: str, expected_version: int | None = None,
                        resolution_code: str = "", resolution_notes: str = "", on_hold_reason: str = "",
                        note: str = "", note_code: str = "", note_params: dict | None = None) -> Ticket:
    """Move an incident along its workflow, with the fields the target state requires."""
    ticket, incident = _lock(ticket, expected_version)
    roles = desk.actor_roles(ticket=ticket, actor=actor)
    transition = INCIDENT_WORKFLOW.find(ticket.state, to, roles)
    if transition is not None:
        supplied = {"resolution_code": resolution_code, "resolution_notes": (resolution_notes or "").strip(),
                    "on_hold_reason": on_hold_reason}
        _require(supplied, transition.requires)
        if resolution_code and resolution_code not in ResolutionCode.values:
            raise ValidationError({"resolution_code": _("Unknown resolution code.")})
        if on_hold_reason and on_hold_reason not in OnHoldReason.values:
            raise ValidationError({"on_hold_reason": _("Unknown on-hold reason.")})
    if to == IncidentState.CLOSED and transition is not None:
        open_children = ticket.children.filter(active=True).values_list("number", flat=True)[:20]
        if open_children:
            raise DomainError(
                _("%(number)s cannot close while its child incidents are open: %(children)s.")
                % {"number": ticket.number, "children": ", ".join(open_children)},
                code="open_children", extra={"open_children": list(open_children)},
            )

    source = ticket.state
    desk.ticket_change_state(ticket=ticket, workflow=INCIDENT_WORKFLOW, target=to, actor=actor, roles=roles,
                             note=note, reason=on_hold_reason if to == IncidentState.ON_HOLD else "",
                             note_code=note_code, note_params=note_params)

    changed = []
    if to == IncidentState.RESOLVED:
        incident.resolution_code = resolution_code
        incident.resolution_notes = resolution_notes.strip()
        changed += ["resolution_code", "resolution_notes"]
    if to == IncidentState.ON_HOLD:
        incident.on_hold_reason = on_hold_reason
        changed.append("on_hold_reason")
    elif source == IncidentState.ON_HOLD:
        incident.on_hold_reason = ""
        changed.append("on_hold_reason")
    if source == IncidentState.RESOLVED and to == IncidentState.IN_PROGRESS:  # reopened
        incident.resolution_code = ""
        incident.resolution_notes = ""
        changed += ["resolution_code", "resolution_notes"]
    if changed:
        incident.save(update_fields=changed)

    if note.strip() and actor is not None:
        desk.comment_add(ticket=ticket, actor=actor, body=note, public=True)

    if to == IncidentState.RESOLVED:
        notify(ticket=ticket, recipients=[ticket.requester, *ticket.watchers.all()], reason="resolved",
               context={"incident": incident})
        _resolve_children(parent=ticket, actor=actor, notes=incident.resolution_notes)
    elif source == IncidentState.RESOLVED and to == IncidentState.IN_PROGRESS:
        recipients = [ticket.assignee] if ticket.assignee_id else list(ticket.team.members.all()) if ticket.team else []
        notify(ticket=ticket, recipients=[u for u in recipients if u and u != actor], reason="reopened")
    return ticket


def _resolve_children(*, parent: Ticket, actor: User | None, notes: str) -> None:
    for child in parent.children.filter(active=True, kind=TicketKind.INCIDENT).order_by("id"):
        child, child_incident = _lock(child, None)
        desk.ticket_change_state(ticket=child, workflow=INCIDENT_WORKFLOW, target=IncidentState.RESOLVED,
                                 actor=actor, roles={Actor.SYSTEM},
                                 note_code="resolved_with_parent", note_params={"number": parent.number})
        child_incident.resolution_code = ResolutionCode.RESOLVED_WITH_PARENT
        child_incident.resolution_notes = notes
        child_incident.on_hold_reason = ""
        child_incident.save(update_fields=["resolution_code", "resolution_notes", "on_hold_reason"])
        notify(ticket=child, recipients=[child.requester, *child.watchers.all()], reason="parent_resolved",
               context={"incident": child_incident, "parent_number": parent.number})


def allowed_transitions(*, ticket: Ticket, actor: User):
    """The moves ``actor`` may offer on this incident now (for buttons and the API)."""
    roles = desk.actor_roles(ticket=ticket, actor=actor)
    return INCIDENT_WORKFLOW.transitions_from(ticket.state, roles)


# --- Conversation ---------------------------------------------------------------------------


@service
def incident_comment(*, ticket: Ticket, actor: User, body: str, public: bool = True, attachments=(),
                     minutes: int | None = None) -> Comment:
    """Add a reply or work note with its files and (work notes only) time spent, all or nothing.

    A requester's reply takes an incident off 'awaiting caller' hold. Once the incident is closed
    (or cancelled) the conversation is over for the requester: a problem that is back is a new
    incident. Agents may still add notes.
    """
    ticket = desk.ticket_lock(ticket=ticket, expected_version=None)
    if ticket.closed_at is not None and not can_work_tickets(actor):
        raise DomainError(_("This incident is closed. If the problem is back, please report a new one."),
                          code="closed")
    if minutes:
        if public:
            raise ValidationError({"minutes": _("Time is recorded with work notes, not with public replies.")})
        comment = desk.time_entry_add(ticket=ticket, actor=actor, minutes=minutes, note=body).note
    else:
        comment = desk.comment_add(ticket=ticket, actor=actor, body=body, public=public)
    if attachments:
        desk.attachments_add(ticket=ticket, actor=actor, uploads=attachments, public=public, comment=comment)
    if public and actor.pk == ticket.requester_id and ticket.state == IncidentState.ON_HOLD:
        incident = Incident.objects.get(pk=ticket.pk)
        if incident.on_hold_reason == OnHoldReason.AWAITING_CALLER:
            incident_transition(ticket=ticket, actor=None, to=IncidentState.IN_PROGRESS)
    return comment


# --- Assignment and escalation --------------------------------------------------------------


@service
def incident_assign(*, ticket: Ticket, actor: User, team: Team | None, assignee: User | None = None,
                    expected_version: int | None = None) -> Ticket:
    desk.require_agent(actor)
    ticket, _incident = _lock(ticket, expected_version)
    if not ticket.active:
        raise DomainError(_("Only open incidents can be assigned."), code="not_active")
    kind = EventKind.ESCALATED if ticket.team_id and team and ticket.team_id != team.pk else EventKind.ASSIGNED
    desk.ticket_assign(ticket=ticket, actor=actor, team=team, assignee=assignee, kind=kind,
                       reason="functional" if kind == EventKind.ESCALATED else "")
    return ticket


@service
def incident_assign_to_me(*, ticket: Ticket, actor: User, expected_version: int | None = None) -> Ticket:
    """Take the incident within its team; never move it to another team on the way.

    As in other service desks, you take a ticket only in a group you belong to: a ticket of a team
    you are not in is refused (choose a team explicitly with "Assign", which records an assignment);
    a ticket without a team goes to your team when you are in exactly one.
    """
    desk.require_agent(actor)
    ticket, _incident = _lock(ticket, expected_version)
    if not ticket.active:
        raise DomainError(_("Only open incidents can be assigned."), code="not_active")
    teams = list(actor.teams.filter(active=True)[:2])
    if not teams:
        raise DomainError(_("You are not a member of any team, so you cannot take incidents."), code="no_team")
    if ticket.team_id:
        if not ticket.team.has_member(actor):
            raise DomainError(
                _("%(number)s belongs to %(team)s and you are not a member of it. Choose a team with Assign, "
                  "or ask %(team)s to take it.") % {"number": ticket.number, "team": ticket.team.name},
                code="not_team_member")
        team = ticket.team
    else:
        if len(teams) > 1:
            raise DomainError(_("You are in several teams: choose the team with Assign."), code="choose_team")
        team = teams[0]
    desk.ticket_assign(ticket=ticket, actor=actor, team=team, assignee=actor, kind=EventKind.ASSIGNED)
    return ticket


@service
def incident_escalate(*, ticket: Ticket, actor: User, level: str, reason: str, team: Team | None = None,
                      expected_version: int | None = None) -> Ticket:
    """Functional escalation moves the incident to another team; hierarchical alerts the team lead."""
    desk.require_agent(actor)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why you escalate.")})
    ticket, _incident = _lock(ticket, expected_version)
    if not ticket.active:
        raise DomainError(_("Only open incidents can be escalated."), code="not_active")
    if level == "functional":
        if team is None:
            raise ValidationError({"team": _("Choose the team to escalate to.")})
        if ticket.team_id == team.pk:
            raise ValidationError({"team": _("The incident is already with %(team)s.") % {"team": team.name}})
        desk.ticket_assign(ticket=ticket, actor=actor, team=team, assignee=None, kind=EventKind.ESCALATED,
                           reason=reason)
    elif level == "hierarchical":
        lead = ticket.team.lead if ticket.team_id else None
        if lead is None:
            raise DomainError(_("This incident's team has no lead to escalate to."), code="no_team_lead")
        desk.touch(ticket)
        desk.timeline_record(ticket=ticket, actor=actor, kind=EventKind.ESCALATED, level="hierarchical",
                             reason=reason, to=lead.display_name, to_id=lead.pk)
        notify(ticket=ticket, recipients=[lead], reason="escalated", context={"escalation_reason": reason})
    else:
        raise ValidationError({"level": _("Choose functional or hierarchical escalation.")})
    return ticket


@service
def incident_set_major(*, ticket: Ticket, actor: User, major: bool, expected_version: int | None = None) -> Ticket:
    """Declare or stand down a major incident: only people allowed to run one (team leads).

    Agents see the flag and link their incidents under a major one, but the call that mobilises
    everyone (and the one that stands them down) is the lead's.
    """
    desk.require_agent(actor)
    if actor is not None and not can_manage_major_incidents(actor):
        raise NotPermitted(_("Only people who run major incidents (team leads) can declare or clear one."),
                           code="major_incident_not_permitted")
    ticket, incident = _lock(ticket, expected_version)
    if major and ticket.priority != 1:
        raise DomainError(_("Only P1 incidents can be declared major."), code="not_p1")
    if major and not ticket.active:
        raise DomainError(_("Only open incidents can be declared major."), code="not_active")
    if incident.major != major:
        incident.major = major
        incident.save(update_fields=["major"])
        desk.ticket_update_fields(ticket=ticket, actor=actor, changes={}, details={"major": (not major, major)})
    return ticket


# --- Parent/child and merge -----------------------------------------------------------------


@service
def incident_set_parent(*, ticket: Ticket, actor: User, parent: Ticket | None,
                        expected_version: int | None = None) -> Ticket:
    """Link an incident under a parent (typically the major incident), or unlink it (parent=None)."""
    desk.require_agent(actor)
    ticket, _incident = _lock(ticket, expected_version)
    if parent is not None:
        parent = Ticket.objects.select_for_update().get(pk=parent.pk)
        if parent.kind != TicketKind.INCIDENT:
            raise ValidationError({"parent": _("The parent must be an incident.")})
        if parent.pk == ticket.pk:
            raise ValidationError({"parent": _("An incident cannot be its own parent.")})
        if parent.parent_id is not None:
            raise ValidationError({"parent": _("%(number)s is itself a child incident.") % {"number": parent.number}})
        if ticket.children.exists():
            raise ValidationError({"parent": _("%(number)s has child incidents of its own.")
                                   % {"number": ticket.number}})
        if not parent.active:
            raise ValidationError({"parent": _("%(number)s is no longer open.") % {"number": parent.number}})
    if ticket.parent_id == (parent.pk if parent else None):
        return ticket
    ticket.parent = parent
    desk.touch(ticket, "parent")
    desk.timeline_record(ticket=ticket, actor=actor, kind=EventKind.PARENT, parent=parent.number if parent else None)
    if parent is not None:
        desk.timeline_record(ticket=parent, actor=actor, kind=EventKind.PARENT, child=ticket.number)
    return ticket


@service
def incident_merge(*, ticket: Ticket, actor: User, into: Ticket, expected_version: int | None = None) -> Ticket:
    """Close a duplicate into another incident: requester and watchers follow the survivor."""
    desk.require_agent(actor)
    if into.kind != TicketKind.INCIDENT:
        raise ValidationError({"into": _("Incidents can only be merged into incidents.")})
    if into.pk == ticket.pk:
        raise ValidationError({"into": _("An incident cannot be merged into itself.")})
    ticket, incident = _lock(ticket, expected_version)
    survivor, _survivor_incident = _lock(into, None)
    if not ticket.active:
        raise DomainError(_("%(number)s is already finished.") % {"number": ticket.number}, code="not_active")
    if not survivor.active:
        raise ValidationError({"into": _("%(number)s is no longer open.") % {"number": survivor.number}})
    if ticket.children.filter(active=True).exists():
        raise DomainError(_("Move or resolve this incident's children before merging it."), code="open_children")

    survivor.watchers.add(ticket.requester, *ticket.watchers.all())
    desk.ticket_link_cis(ticket=survivor, actor=actor, cis=list(ticket.cis.all()))
    note = _("Merged into %(number)s as a duplicate.") % {"number": survivor.number}
    for target in (IncidentState.RESOLVED, IncidentState.CLOSED):
        desk.ticket_change_state(ticket=ticket, workflow=INCIDENT_WORKFLOW, target=target, actor=actor,
                                 roles={Actor.SYSTEM}, note_code="merged_into", note_params={"number": survivor.number})
    incident.resolution_code = ResolutionCode.DUPLICATE
    incident.resolution_notes = note
    incident.merged_into = survivor
    incident.on_hold_reason = ""
    incident.save(update_fields=["resolution_code", "resolution_notes", "merged_into", "on_hold_reason"])
    desk.timeline_record(ticket=ticket, actor=actor, kind=EventKind.MERGED, public=True, into=survivor.number)
    desk.timeline_record(ticket=survivor, actor=actor, kind=EventKind.MERGED, duplicate=ticket.number)
    desk.comment_add(ticket=ticket, actor=actor, public=True,
                     body=_("This report duplicates %(number)s. We will keep you updated there.")
                     % {"number": survivor.number})
    return ticket


# --- Background -----------------------------------------------------------------------------


def autoclose_resolved(*, now: datetime | None = None, batch: int = 500) -> int:
    """Close incidents resolved more than INCIDENT_AUTOCLOSE_DAYS ago. Idempotent; one row per transaction."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.INCIDENT_AUTOCLOSE_DAYS)
    due = Ticket.objects.filter(kind=TicketKind.INCIDENT, state=IncidentState.RESOLVED, resolved_at__lt=cutoff)
    ids = list(due.order_by("resolved_at").values_list("id", flat=True)[:batch])
    closed = 0
    for pk in ids:
        ticket = Ticket.objects.get(pk=pk)
        try:
            incident_transition(ticket=ticket, actor=None, to=IncidentState.CLOSED, note_code="autoclosed",
                                note_params={"days": settings.INCIDENT_AUTOCLOSE_DAYS})
        except DomainError:
            continue  # reopened meanwhile, or a child still open: leave it for a person
        closed += 1
    return closed
