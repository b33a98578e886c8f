"""Every write to the shared ticket record goes through these functions (docs/architecture.md, rule 1: one write path).

Process apps (incidents, problems, changes) call them for what all tickets share: numbering,
locking, state changes, assignment, comments, attachments, time, CI links, notifications. Each
function is atomic, takes keyword arguments and an explicit ``actor``, and raises domain errors.
"""

import os
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Team, User
from accounts.roles import can_work_tickets
from cmdb.models import ConfigurationItem
from esm.errors import NotPermitted, StaleVersion, TransitionNotAllowed
from esm.services import service

from . import registry, signals
from .choices import NUMBER_DIGITS, EventKind
from .models import Attachment, Comment, Ticket, TicketCI, TicketSequence, TimeEntry, TimelineEntry
from .notifications import notify
from .rendering import MAX_BODY_CHARS
from .workflow import Actor, Transition, Workflow

# --- Numbers and locking --------------------------------------------------------------------


def ticket_number_next(*, kind: str) -> str:
    """Next human number for ``kind``; the row lock serialises creators, a rollback returns it."""
    table = TicketSequence._meta.db_table
    sql = f"UPDATE {table} SET last_value = last_value + 1 WHERE kind = %s RETURNING last_value"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [kind])
        row = cursor.fetchone()
        if row is None:  # first ticket of this kind
            TicketSequence.objects.get_or_create(kind=kind)
            cursor.execute(sql, [kind])
            row = cursor.fetchone()
    return f"{registry.process_for(kind).number_prefix}{row[0]:0{NUMBER_DIGITS}d}"


def validate_text(*, title: str | None = None, description: str | None = None) -> None:
    """The checks the database cannot make for us: blank titles, lengths, NUL characters."""
    errors = {}
    if title is not None:
        if not title.strip():
            errors["title"] = _("Write a short title.")
        elif len(title) > 200:
            errors["title"] = _("Keep the title under 200 characters.")
        elif "\x00" in title:
            errors["title"] = _("The title contains invalid characters.")
    if description is not None:
        if len(description) > MAX_BODY_CHARS:
            errors["description"] = _("The description is too long.")
        elif "\x00" in description:
            errors["description"] = _("The description contains invalid characters.")
    if errors:
        raise ValidationError(errors)


def ticket_lock(*, ticket: Ticket, expected_version: int | None) -> Ticket:
    """Re-read ``ticket`` under a row lock and refuse a stale write (docs/architecture.md, rule 3)."""
    locked = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    if expected_version is not None and locked.version != expected_version:
        raise StaleVersion(current_version=locked.version)
    return locked


def _touch(ticket: Ticket, *fields: str) -> None:
    """Save ``fields`` of a locked ticket, bump its version and mark its clocks for recomputation.

    The mark (``sla_dirty_since``) is written in the business transaction and cleared by whoever
    derives clocks from the history once they have done so; a sweep finds marks left behind when a
    process died between the commit and the recompute (docs/architecture.md, "Lifecycle signals").
    """
    ticket.version += 1
    ticket.updated_at = timezone.now()
    if ticket.sla_dirty_since is None:
        ticket.sla_dirty_since = ticket.updated_at
    ticket.save(update_fields=[*fields, "version", "updated_at", "sla_dirty_since"])


def touch(ticket: Ticket, *fields: str) -> None:
    """For process services: save ``fields`` of a locked ticket (or only bump its version)."""
    _touch(ticket, *fields)


def _after_commit(signal, ticket: Ticket, **kwargs) -> None:
    """Send a lifecycle signal once the transaction commits (nothing if it rolls back)."""
    pk = ticket.pk
    transaction.on_commit(lambda: signal.send(sender=Ticket, ticket_id=pk, **kwargs))


def timeline_record(*, ticket: Ticket, actor: User | None, kind: str, public: bool = False,
                 comment: Comment | None = None, **data) -> TimelineEntry:
    return TimelineEntry.objects.create(ticket=ticket, actor=actor, kind=kind, public=public,
                                      comment=comment, data=data)


# --- Roles relative to a ticket -------------------------------------------------------------


def actor_roles(*, ticket: Ticket, actor: User | None) -> set[Actor]:
    if actor is None:
        return {Actor.SYSTEM}
    roles = set()
    if can_work_tickets(actor):
        roles.add(Actor.AGENT)
    if ticket.requester_id == actor.pk:
        roles.add(Actor.REQUESTER)
    return roles


def require_agent(actor: User | None) -> None:
    if actor is not None and not can_work_tickets(actor):
        raise NotPermitted(_("Only service desk staff can do this."))


# --- Creation and fields --------------------------------------------------------------------


def ticket_create(*, kind: str, workflow: Workflow, actor: User | None, requester: User, title: str,
                  description: str = "", priority: int, team: Team | None = None,
                  assignee: User | None = None, category=None, service: ConfigurationItem | None = None,
                  parent: Ticket | None = None) -> Ticket:
    """Insert the shared record of a new ticket. Callers (process services) wrap it in @service."""
    if assignee is not None:
        _check_assignee(team=team, assignee=assignee)
    validate_text(title=title, description=description)
    now = timezone.now()
    ticket = Ticket(
        kind=kind, number=ticket_number_next(kind=kind), title=title.strip(), description=description,
        state=workflow.initial, active=workflow.state(workflow.initial).active, priority=priority,
        requester=requester, organisation_id=requester.organisation_id, team=team, assignee=assignee,
        category=category, service=service, parent=parent, opened_at=now, updated_at=now, sla_dirty_since=now,
    )
    # Foreign keys and constraints are the database's to enforce; no per-field existence queries.
    ticket.save(force_insert=True)
    timeline_record(ticket=ticket, actor=actor, kind=EventKind.CREATED, public=True, number=ticket.number)
    if team is not None:
        timeline_record(ticket=ticket, actor=actor, kind=EventKind.ASSIGNED, **_assignment_facts(team, assignee))
    _after_commit(signals.ticket_created, ticket, kind=kind)
    return ticket


def _assignment_facts(team: Team | None, assignee: User | None) -> dict:
    """Ids for the clocks and links, names as they read when it happened."""
    return {"team_id": team.pk if team else None, "team": team.name if team else None,
            "assignee_id": assignee.pk if assignee else None,
            "assignee": assignee.display_name if assignee else None}


def ticket_update_fields(*, ticket: Ticket, actor: User | None, changes: dict,
                         details: dict[str, tuple] | None = None) -> list[str]:
    """Apply field ``changes`` to a locked ticket, recording from/to for the timeline.

    ``details`` are the process's own fields its service has already saved, as name → (old, new):
    they get their own timeline entry and are named in ``ticket_fields_changed`` too. Entries store
    field names and values (codes, ids), never labels: pages render them in the reader's language.
    """
    changed = []
    diff = {}
    old_priority = ticket.priority
    for name, value in changes.items():
        old = getattr(ticket, name)
        if old != value:
            setattr(ticket, name, value)
            changed.append(name)
            diff[name] = _change(old, value)
    if changed:
        validate_text(title=changes.get("title"), description=changes.get("description"))
        _touch(ticket, *changed)
        timeline_record(ticket=ticket, actor=actor, kind=EventKind.FIELDS, changes=diff)
    details = {name: pair for name, pair in (details or {}).items() if pair[0] != pair[1]}
    if details:
        if not changed:
            _touch(ticket)
        timeline_record(ticket=ticket, actor=actor, kind=EventKind.FIELDS,
                        changes={name: _change(old, new) for name, (old, new) in details.items()})
    if changed or details:
        _after_commit(signals.ticket_fields_changed, ticket, fields=frozenset([*changed, *details]))
    if "priority" in changed:
        _after_commit(signals.ticket_priority_changed, ticket, old=old_priority, new=ticket.priority)
    return changed


def _change(old, new) -> dict:
    """From → to as stored: plain values as they are, related rows as their id plus their name."""
    change = {"from": _display(old), "to": _display(new)}
    for key, value in (("from_id", old), ("to_id", new)):
        if hasattr(value, "_meta"):
            change[key] = value.pk
    return change


def _display(value) -> str | int | None:
    if value is None or isinstance(value, (str, int, bool)):
        return value
    return str(value)


# --- State ----------------------------------------------------------------------------------


def ticket_change_state(*, ticket: Ticket, workflow: Workflow, target: str, actor: User | None,
                        roles: set[Actor] | None = None, note: str = "", reason: str = "",
                        note_code: str = "", note_params: dict | None = None) -> Transition:
    """Move a locked ticket to ``target`` if the workflow allows it for the actor (docs/architecture.md, rule 2).

    ``reason`` is the hold reason when ``target`` is the process's hold state; the timeline entry
    keeps it, and SLA clocks read it from there to tell holds that pause them. A system note is
    stored as ``note_code`` and ``note_params`` (servicedesk.timeline) so each reader reads it in
    their own language; ``note`` is what a person wrote.
    """
    roles = roles if roles is not None else actor_roles(ticket=ticket, actor=actor)
    transition = workflow.find(ticket.state, target, roles)
    if transition is None:
        allowed = [t.target for t in workflow.transitions_from(ticket.state, roles)]
        raise TransitionNotAllowed(
            _("Cannot move %(number)s from %(source)s to %(target)s.")
            % {"number": ticket.number, "source": ticket.state, "target": target},
            allowed=allowed,
        )
    old_state = ticket.state
    new = workflow.state(target)
    now = timezone.now()
    ticket.state = target
    ticket.active = new.active
    if new.resolved and ticket.resolved_at is None:
        ticket.resolved_at = now
    if new.active:
        ticket.resolved_at = None
        ticket.closed_at = None
    if new.closed:
        ticket.closed_at = now
    _touch(ticket, "state", "active", "resolved_at", "closed_at")
    timeline_record(ticket=ticket, actor=actor, kind=EventKind.STATE, public=True,
                 source=old_state, target=target, verb=transition.name or target, note=note, reason=reason,
                 **_note_facts(note_code, note_params))
    _after_commit(signals.ticket_state_changed, ticket, source=old_state, target=target, at=now,
                  actor_id=actor.pk if actor else None)
    return transition


# --- Assignment -----------------------------------------------------------------------------


def _check_assignee(*, team: Team | None, assignee: User | None) -> None:
    if assignee is None:
        return
    if team is None:
        raise ValidationError({"assignee": _("Choose the team before the assignee.")})
    if not team.has_member(assignee):
        raise ValidationError({"assignee": _("%(user)s is not a member of %(team)s.")
                               % {"user": assignee.display_name, "team": team.name}})
    if not can_work_tickets(assignee):
        raise ValidationError({"assignee": _("%(user)s cannot work tickets.") % {"user": assignee.display_name}})


def _note_facts(code: str, params: dict | None) -> dict:
    return {"note_code": code, "note_params": params or {}} if code else {}


def ticket_assign(*, ticket: Ticket, actor: User | None, team: Team | None, assignee: User | None,
                  kind: str = EventKind.ASSIGNED, reason: str = "", note_code: str = "",
                  note_params: dict | None = None) -> bool:
    """Assign a locked ticket to a team and optionally one of its members. Returns whether it changed."""
    if team is not None and not team.active:
        raise ValidationError({"team": _("%(team)s is no longer active.") % {"team": team.name}})
    _check_assignee(team=team, assignee=assignee)
    if ticket.team_id == (team.pk if team else None) and ticket.assignee_id == (assignee.pk if assignee else None):
        return False
    previous_team = ticket.team
    ticket.team = team
    ticket.assignee = assignee
    _touch(ticket, "team", "assignee")
    timeline_record(
        ticket=ticket, actor=actor, kind=kind, reason=reason,
        from_team_id=previous_team.pk if previous_team else None,
        from_team=previous_team.name if previous_team else None, **_assignment_facts(team, assignee),
        **_note_facts(note_code, note_params),
    )
    _after_commit(signals.ticket_assigned, ticket, team_id=team.pk if team else None,
                  previous_team_id=previous_team.pk if previous_team else None)
    if assignee is not None and assignee != actor:
        notify(ticket=ticket, recipients=[assignee], reason="assigned")
    elif assignee is None and team is not None and (previous_team is None or previous_team.pk != team.pk):
        notify(ticket=ticket, recipients=list(team.members.filter(is_active=True)), reason="team_assigned",
               extra_addresses=[team.email] if team.email else [])
    return True


# --- Conversation ---------------------------------------------------------------------------


@service
def comment_add(*, ticket: Ticket, actor: User, body: str, public: bool) -> Comment:
    """Add a public reply or (agents only) a work note; notify the other side of a public reply."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write a message.")})
    if len(body) > MAX_BODY_CHARS:
        raise ValidationError({"body": _("The message is too long.")})
    if "\x00" in body:
        raise ValidationError({"body": _("The message contains invalid characters.")})
    is_agent = can_work_tickets(actor)
    if not public and not is_agent:
        raise NotPermitted(_("Only service desk staff can write internal notes."))
    comment = Comment.objects.create(ticket=ticket, author=actor, body=body, public=public)
    # A public reply can stop a response clock: mark the clocks like any other change (see _touch).
    mark = {"sla_dirty_since": Coalesce("sla_dirty_since", Value(comment.created_at))} if public else {}
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=comment.created_at, **mark)
    timeline_record(ticket=ticket, actor=actor, kind=EventKind.COMMENT if public else EventKind.WORK_NOTE,
                 public=public, comment=comment)
    if public:
        if is_agent and actor.pk != ticket.requester_id:
            recipients = [ticket.requester, *ticket.watchers.all()]
            notify(ticket=ticket, recipients=recipients, reason="public_reply", comment=comment)
        elif ticket.assignee_id and ticket.assignee_id != actor.pk:
            notify(ticket=ticket, recipients=[ticket.assignee], reason="requester_reply", comment=comment)
        _after_commit(signals.ticket_commented, ticket, comment_id=comment.pk, by_agent=is_agent, public=public)
    return comment


@service
def time_entry_add(*, ticket: Ticket, actor: User, minutes: int, note: str) -> TimeEntry:
    require_agent(actor)
    if not isinstance(minutes, int) or not 1 <= minutes <= 24 * 60:
        raise ValidationError({"minutes": _("Enter between 1 and 1440 minutes.")})
    comment = comment_add(ticket=ticket, actor=actor, body=note, public=False)
    entry = TimeEntry.objects.create(ticket=ticket, agent=actor, minutes=minutes, note=comment)
    timeline_record(ticket=ticket, actor=actor, kind=EventKind.TIME, minutes=minutes)
    return entry


def attachment_check(upload) -> str:
    """Refuse a file outside the size and type limits (settings.ATTACHMENT_*); return its clean name."""
    name = os.path.basename(getattr(upload, "name", "") or "").strip()
    if not name or "\x00" in name or len(name) > 200:
        raise ValidationError({"file": _("The file needs a valid name.")})
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in settings.ATTACHMENT_ALLOWED_EXTENSIONS:
        raise ValidationError({"file": _("Files of type .%(ext)s are not accepted. Allowed: %(allowed)s.")
                               % {"ext": extension or "?",
                                  "allowed": ", ".join(settings.ATTACHMENT_ALLOWED_EXTENSIONS)}})
    if upload.size > settings.ATTACHMENT_MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than %(mb)s MB.")
                               % {"mb": settings.ATTACHMENT_MAX_BYTES // (1024 * 1024)}})
    if upload.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    return name


@service
def attachment_add(*, ticket: Ticket, actor: User, upload, public: bool = True,
                   comment: Comment | None = None) -> Attachment:
    """Store one uploaded file on a ticket."""
    name = attachment_check(upload)
    if not public and not can_work_tickets(actor):
        public = True
    attachment = Attachment(ticket=ticket, comment=comment, name=name, size=upload.size,
                            content_type=(getattr(upload, "content_type", "") or "application/octet-stream")[:120],
                            public=public, uploaded_by=actor)
    attachment.file.save(name, upload, save=False)
    try:
        with transaction.atomic():
            attachment.save()
            timeline_record(ticket=ticket, actor=actor, kind=EventKind.ATTACHMENT, public=public, name=name,
                            attachment_id=attachment.pk)
    except Exception:
        attachment.file.delete(save=False)  # leave no file without a row
        raise
    return attachment


@service
def attachments_add(*, ticket: Ticket, actor: User, uploads, public: bool = True,
                    comment: Comment | None = None) -> list[Attachment]:
    """Store several files all or nothing.

    Every file is checked before any is written, and every refusal is reported at once under
    ``attachments`` ("name: reason"); if writing fails half-way, the files already written are
    removed, since file storage does not roll back with the transaction.
    """
    uploads = list(uploads or [])
    errors = []
    for upload in uploads:
        try:
            attachment_check(upload)
        except ValidationError as exc:
            name = os.path.basename(getattr(upload, "name", "") or "")
            errors += [f"{name}: {message}" if name else message for message in exc.messages]
    if errors:
        raise ValidationError({"attachments": errors})
    saved: list[Attachment] = []
    try:
        for upload in uploads:
            saved.append(attachment_add(ticket=ticket, actor=actor, upload=upload, public=public, comment=comment))
    except Exception:
        for attachment in saved:
            attachment.file.delete(save=False)
        raise
    return saved


# --- CI links and watchers ------------------------------------------------------------------


@service
def ticket_link_cis(*, ticket: Ticket, actor: User, cis: Iterable[ConfigurationItem]) -> list[ConfigurationItem]:
    require_agent(actor)
    existing = set(TicketCI.objects.filter(ticket=ticket).values_list("ci_id", flat=True))
    added = []
    for ci in cis:
        if ci.pk in existing:
            continue
        TicketCI.objects.create(ticket=ticket, ci=ci, linked_by=actor)
        existing.add(ci.pk)
        added.append(ci)
        timeline_record(ticket=ticket, actor=actor, kind=EventKind.CI_LINKED, ci=ci.name, ci_id=ci.pk)
    return added


@service
def ticket_unlink_ci(*, ticket: Ticket, actor: User, ci: ConfigurationItem) -> None:
    require_agent(actor)
    deleted, _count = TicketCI.objects.filter(ticket=ticket, ci=ci).delete()
    if deleted:
        timeline_record(ticket=ticket, actor=actor, kind=EventKind.CI_UNLINKED, ci=ci.name, ci_id=ci.pk)


@service
def ticket_watch(*, ticket: Ticket, actor: User, user: User, watching: bool = True) -> bool:
    """Add ``user`` to the ticket's watchers (they get its public updates and may see it), or remove them.

    Anyone who may see the ticket can watch or stop watching it themselves; only agents change
    other people's watching. Returns whether anything changed.
    """
    if actor.pk != user.pk:
        require_agent(actor)
    through = Ticket.watchers.through.objects.filter(ticket_id=ticket.pk, user_id=user.pk)
    if watching:
        if not user.is_active:
            raise ValidationError({"user": _("%(name)s's account is disabled.") % {"name": user.display_name}})
        if through.exists():
            return False
        ticket.watchers.add(user)
    elif not through.delete()[0]:
        return False
    timeline_record(ticket=ticket, actor=actor, kind=EventKind.WATCHERS,
                    **{"added" if watching else "removed": user.display_name, "user_id": user.pk})
    return True
