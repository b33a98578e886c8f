"""Every write about service requests and fulfilment tasks (rule 1): ordering, approvals, tasks,
roll-up of states, cancelling and copying a request (docs/requests.md).

A request (REQ) is a ticket with one ``RequestedItem`` per catalog item ordered. Items without
approval rules (or whose rules' conditions do not hold) are approved at once and start their
tasks; the others are approved with one round of the approval engine on the REQ ticket, whose
steps are the items' rules item by item (each step's ``context`` names its item). Each task (TASK)
is a ticket whose parent is the REQ; a task waits until the tasks it depends on are closed. After
every approval decision and task change the item and request states are rolled up
(``catalog.rollup``).
"""

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import can_work_tickets
from esm.errors import NotPermitted
from esm.services import service
from servicedesk import approvals
from servicedesk import services as desk
from servicedesk.choices import Priority, TicketKind
from servicedesk.models import ApprovalStep, ApprovalStepState, Ticket
from servicedesk.notifications import notify
from servicedesk.workflow import Actor

from . import forms_engine, queries, rollup
from .choices import ApproverSource, ItemState, QuestionType, RequestState, TaskState
from .choices import RequestedItemState as ItemStep
from .models import ApprovalRule, CatalogItem, FulfilmentTask, RequestedItem, ServiceRequest
from .request_workflow import CLOSED_TASK_STATES, REQUEST_WORKFLOW, TASK_WORKFLOW

SYSTEM = {Actor.SYSTEM}
MAX_LINES = 20


@dataclass
class OrderLine:
    item: object  # CatalogItem
    quantity: int = 1
    answers: dict = field(default_factory=dict)  # raw answers, validated by forms_engine.clean_answers
    files: dict = field(default_factory=dict)  # question key -> uploaded file


class OrderInvalid(ValidationError):
    """An order with errors, each at its place: ``errors = {"items": [{key: [messages]} per line],
    "requested_for": [messages]}`` (lines without errors are ``{}``)."""

    def __init__(self, errors: dict):
        self.errors = errors
        flat = {}
        for index, line in enumerate(errors.get("items") or []):
            for key, messages in line.items():
                flat.setdefault("items", []).extend(f"{index + 1}. {key}: {m}" for m in messages)
        for key, messages in errors.items():
            if key != "items":
                flat[key] = list(messages)
        super().__init__(flat)


# --- Ordering ---------------------------------------------------------------------------------


def _check_requested_for(actor: User, requested_for: User | None) -> tuple[User, list[str]]:
    if requested_for is None:
        return actor, []
    if not requested_for.is_active:
        return actor, [_("%(name)s's account is disabled.") % {"name": requested_for.display_name}]
    return requested_for, []


def _clean_line(actor: User, for_someone_else: bool, line: OrderLine):
    """(cleaned answers or None, errors {key: [messages]}) of one order line."""
    item = line.item
    errors: dict[str, list[str]] = {}
    if not isinstance(item, CatalogItem) or item.state != ItemState.ACTIVE or not queries.can_order(actor, item):
        return None, {"item": [_("This item cannot be ordered.")]}
    if not isinstance(line.quantity, int) or isinstance(line.quantity, bool) or \
            not 1 <= line.quantity <= item.max_quantity:
        errors["quantity"] = [_("Order between 1 and %(n)s.") % {"n": item.max_quantity}]
    if for_someone_else and not item.allow_requested_for:
        errors["requested_for"] = [_("%(item)s can only be ordered for yourself.") % {"item": item.name}]
    if item.current_form_id is None:
        cleaned = forms_engine.CleanedAnswers(answers={}, snapshot=[])
    else:
        try:
            cleaned = forms_engine.clean_answers(item.current_form, line.answers or {}, user=actor,
                                                 files=line.files or {})
        except ValidationError as exc:
            cleaned = None
            for key, messages in exc.message_dict.items():
                errors.setdefault("answers" if key == "__all__" else key, []).extend(messages)
    return cleaned, errors


def _title(lines: list[OrderLine]) -> str:
    names = [line.item.name for line in lines]
    title = names[0] if len(names) == 1 else _("%(first)s and %(n)s more") % {"first": names[0],
                                                                             "n": len(names) - 1}
    return title[:200]


def _description(lines: list[OrderLine], cleaned: list) -> str:
    parts = []
    for line, answers in zip(lines, cleaned, strict=True):
        parts.append(f"{line.item.name} × {line.quantity}")
        parts += [f"  {row['label']}: {row.get('display') or row.get('answer') or ''}" for row in answers.snapshot]
    return "\n".join(parts)


@service
def request_submit(*, actor, lines: list[OrderLine], requested_for=None):
    """Order ``lines`` for ``requested_for`` (default: the actor); returns the REQ ticket.

    ``OrderInvalid`` (a ``ValidationError``: ``{"items": [{...per line...}], "requested_for": [...]}``)
    on bad input; nothing is written then.
    """
    if not lines:
        raise OrderInvalid({"items": [], "non_field_errors": [_("Choose at least one item.")]})
    if len(lines) > MAX_LINES:
        raise OrderInvalid({"items": [], "non_field_errors": [_("Order at most %(n)s items at once.")
                                                               % {"n": MAX_LINES}]})
    requested_for, for_errors = _check_requested_for(actor, requested_for)
    someone_else = requested_for.pk != actor.pk
    cleaned, line_errors = [], []
    for line in lines:
        answers, errors = _clean_line(actor, someone_else, line)
        cleaned.append(answers)
        line_errors.append(errors)
    if for_errors or any(line_errors):
        errors = {"items": line_errors}
        if for_errors:
            errors["requested_for"] = for_errors
        raise OrderInvalid(errors)

    first = lines[0].item
    ticket = desk.ticket_create(
        kind=TicketKind.REQUEST, workflow=REQUEST_WORKFLOW, actor=actor, requester=actor,
        title=_title(lines), description=_description(lines, cleaned), priority=Priority.LOW,
        team=first.fulfilment_team, category=first.ticket_category, service=first.service)
    request = ServiceRequest.objects.create(ticket=ticket, requested_for=requested_for)
    if someone_else:  # they follow it on the portal and get its public updates
        ticket.watchers.add(requested_for)
    items = []
    for position, (line, answers) in enumerate(zip(lines, cleaned, strict=True)):
        item = line.item
        items.append(RequestedItem.objects.create(
            request=request, position=position, item=item, form_version_id=item.current_form_id,
            name=item.name, quantity=line.quantity, answers=answers.answers, snapshot=answers.snapshot,
            unit_price=item.price, currency=item.currency))
        _attach_files(ticket, actor, answers, line)
    notify(ticket=ticket, recipients=[actor], reason="created")
    _ask_approvals(ticket, request, items, actor)
    return ticket


def _attach_files(ticket: Ticket, actor: User, answers, line: OrderLine) -> None:
    files = getattr(answers, "files", None) or {
        key: upload for key, upload in (line.files or {}).items() if key in answers.answers}
    if files:
        desk.attachments_add(ticket=ticket, actor=actor, uploads=list(files.values()), public=True)


# --- Approvals --------------------------------------------------------------------------------


def _answer_person(item: RequestedItem, key: str) -> int | None:
    value = item.answers.get(key)
    if isinstance(value, dict):
        value = value.get("id")
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _condition_values(item: RequestedItem) -> dict:
    """What a rule's condition reads: the answers, plus ``price`` (the line's total)."""
    price = (item.unit_price or Decimal(0)) * item.quantity
    return {**item.answers, "price": float(price), "quantity": item.quantity}


def _step_name(item: RequestedItem, rule: ApprovalRule) -> str:
    return f"{item.name}: {rule.name}"[:120]


def steps_for(item: RequestedItem, request: ServiceRequest, orderer: User) -> list[approvals.StepSpec]:
    """The approval steps an item asks for, from its rules (``ValidationError`` when a rule has nobody)."""
    specs = []
    for rule in ApprovalRule.objects.filter(item_id=item.item_id).prefetch_related("people").order_by("position",
                                                                                                     "id"):
        if rule.condition and not forms_engine.evaluate(rule.condition, _condition_values(item)):
            continue
        users, groups = (), ()
        if rule.source == ApproverSource.MANAGER:
            manager_id = request.requested_for.manager_id
            if manager_id == orderer.pk:
                continue  # a manager ordering for their report has approved it by ordering
            if manager_id is None:
                raise ValidationError({"requested_for": _("%(name)s has no manager to approve %(item)s.")
                                       % {"name": request.requested_for.display_name, "item": item.name}})
            users = (manager_id,)
        elif rule.source == ApproverSource.GROUP:
            groups = (rule.group_id,) if rule.group_id else ()
        elif rule.source == ApproverSource.PEOPLE:
            users = tuple(p.pk for p in rule.people.all())
        elif rule.source == ApproverSource.ANSWER:
            person = _answer_person(item, rule.answer_key)
            users = (person,) if person else ()
        specs.append(approvals.StepSpec(
            name=_step_name(item, rule), policy=rule.policy, threshold=rule.threshold, users=users, groups=groups,
            context={"requested_item": item.pk, "item": item.name, "rule": rule.pk},
            timeout_hours=rule.timeout_hours, timeout_action=rule.timeout_action or "",
            escalate_to=rule.escalate_to_id))
    return specs


def _ask_approvals(ticket: Ticket, request: ServiceRequest, items: list[RequestedItem], actor: User | None) -> None:
    """Approve at once the items that ask for nothing; one engine round for the others."""
    steps = []
    orderer = ticket.requester
    for item in items:
        specs = steps_for(item, request, orderer)
        if specs:
            steps += specs
        else:
            _approve_item(ticket, item, actor)
    if steps:
        approvals.approval_request(actor=actor, ticket=ticket, steps=steps)
    _roll_up(ticket, actor)


def _approve_item(ticket: Ticket, item: RequestedItem, actor: User | None) -> None:
    item.state = ItemStep.APPROVED
    item.save(update_fields=["state"])
    _create_tasks(ticket, item, actor)
    _set_item_state(item)


def approval_excluded(ticket: Ticket) -> set[int]:
    """Whoever ordered it and whoever it is for cannot approve it."""
    request = ServiceRequest.objects.filter(ticket_id=ticket.pk).values_list("requested_for_id", flat=True).first()
    return {ticket.requester_id, request}


def approval_decided(ticket: Ticket, outcome: str, actor: User | None) -> None:
    """The engine decided the round (inside the vote's transaction, the ticket locked).

    Approved: every item of the round starts its tasks. Rejected: the item of the rejected step is
    rejected, the items whose steps were all approved before it start, and the items still
    waiting are asked again in a new round — one item's rejection does not reject the others.
    """
    round_no = ApprovalStep.objects.filter(ticket=ticket).order_by("-round").values_list("round", flat=True).first()
    steps = list(ApprovalStep.objects.filter(ticket=ticket, round=round_no).order_by("order")
                 .values("context", "state"))
    by_item: dict[int, list[str]] = {}
    for step in steps:
        item_id = (step["context"] or {}).get("requested_item")
        if item_id is not None:
            by_item.setdefault(item_id, []).append(step["state"])
    items = {i.pk: i for i in RequestedItem.objects.filter(pk__in=by_item, state=ItemStep.AWAITING_APPROVAL)}
    still_waiting = []
    for item_id, states in by_item.items():
        item = items.get(item_id)
        if item is None:
            continue
        if all(s == ApprovalStepState.APPROVED for s in states):
            _approve_item(ticket, item, actor)
        elif ApprovalStepState.REJECTED in states:
            item.state = ItemStep.REJECTED
            item.save(update_fields=["state"])
        else:
            still_waiting.append(item)
    if still_waiting:
        request = ServiceRequest.objects.select_related("requested_for").get(ticket_id=ticket.pk)
        steps = [s for item in still_waiting for s in steps_for(item, request, ticket.requester)]
        if steps:
            approvals.approval_request(actor=None, ticket=ticket, steps=steps)
        else:
            for item in still_waiting:
                _approve_item(ticket, item, actor)
    _roll_up(ticket, actor)


# --- Tasks ------------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{([a-z0-9_-]+)\}")


def fill_placeholders(text: str, item: RequestedItem) -> str:
    """``{answer_key}`` in a task template's text becomes the answer as shown (the laptop model)."""
    shown = {row.get("key"): row.get("display") or row.get("answer") for row in item.snapshot or []}

    def replace(match):
        value = shown.get(match.group(1), item.answers.get(match.group(1)))
        if value is None:
            return match.group(0)
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)

    return _PLACEHOLDER.sub(replace, text or "")


def _create_tasks(ticket: Ticket, item: RequestedItem, actor: User | None) -> None:
    """Make the item's tasks from its templates (conditions checked); open those that depend on nothing."""
    catalog_item = item.item
    templates = [t for t in catalog_item.task_templates.prefetch_related("depends_on").order_by("position", "id")
                 if not t.condition or forms_engine.evaluate(t.condition, item.answers)]
    tasks_by_template = {}
    for template in templates:
        task_ticket = desk.ticket_create(
            kind=TicketKind.TASK, workflow=TASK_WORKFLOW, actor=actor, requester=ticket.requester,
            title=f"{template.name} — {item.name}"[:200], description=fill_placeholders(template.description, item),
            priority=ticket.priority, team=template.team or catalog_item.fulfilment_team,
            category=ticket.category, service=ticket.service, parent=ticket)
        tasks_by_template[template.pk] = FulfilmentTask.objects.create(
            ticket=task_ticket, requested_item=item, template=template, key=template.key, position=template.position)
    for template in templates:
        dependencies = [tasks_by_template[d.pk] for d in template.depends_on.all() if d.pk in tasks_by_template]
        if dependencies:
            tasks_by_template[template.pk].depends_on.set(dependencies)
    _open_ready_tasks(item, actor)


def _open_ready_tasks(item: RequestedItem, actor: User | None) -> None:
    """Open every waiting task of ``item`` whose dependencies are all closed."""
    waiting = FulfilmentTask.objects.filter(requested_item=item, ticket__state=TaskState.WAITING) \
        .select_related("ticket").prefetch_related("depends_on__ticket")
    for task in waiting:
        if all(d.ticket.state in CLOSED_TASK_STATES for d in task.depends_on.all()):
            task_ticket = desk.ticket_lock(ticket=task.ticket, expected_version=None)
            desk.ticket_change_state(ticket=task_ticket, workflow=TASK_WORKFLOW, target=TaskState.OPEN,
                                     actor=None, roles=SYSTEM)
            if task_ticket.team is not None:
                notify(ticket=task_ticket, recipients=list(task_ticket.team.members.filter(is_active=True)),
                       reason="team_assigned", extra_addresses=[task_ticket.team.email] if task_ticket.team.email
                       else [])


def _set_item_state(item: RequestedItem) -> None:
    if item.state not in (ItemStep.APPROVED, ItemStep.IN_FULFILMENT):
        return
    states = FulfilmentTask.objects.filter(requested_item=item).values_list("ticket__state", flat=True)
    new = rollup.item_state(states)
    if new != item.state:
        item.state = new
        item.save(update_fields=["state"])


def _roll_up(ticket: Ticket, actor: User | None) -> None:
    """Move the request to the state its items roll up to (the system takes the move)."""
    states = list(RequestedItem.objects.filter(request_id=ticket.pk).values_list("state", flat=True))
    target = rollup.request_state(states)
    ticket = desk.ticket_lock(ticket=ticket, expected_version=None)
    if target == ticket.state or ticket.state not in (RequestState.AWAITING_APPROVAL, RequestState.IN_FULFILMENT):
        return
    desk.ticket_change_state(ticket=ticket, workflow=REQUEST_WORKFLOW, target=target, actor=None, roles=SYSTEM,
                             note_code=f"request_{target}")
    if target in (RequestState.COMPLETE, RequestState.INCOMPLETE, RequestState.SKIPPED, RequestState.REJECTED):
        notify(ticket=ticket, recipients=[ticket.requester, *ticket.watchers.all()], reason="request_finished",
               context={"state_label": lambda: str(RequestState(target).label)})


def _task_of(ticket: Ticket) -> FulfilmentTask:
    return FulfilmentTask.objects.select_related("requested_item", "requested_item__request").get(ticket_id=ticket.pk)


@service
def task_transition(*, ticket: Ticket, actor: User, to: str, note: str = "",
                    expected_version: int | None = None) -> Ticket:
    """Move a task (agents); closing it opens the tasks that waited for it and rolls up its request."""
    if not can_work_tickets(actor):
        raise NotPermitted(_("Only service desk staff can work fulfilment tasks."))
    ticket = desk.ticket_lock(ticket=ticket, expected_version=expected_version)
    transition = TASK_WORKFLOW.find(ticket.state, to, {Actor.AGENT})
    note = (note or "").strip()
    if transition is not None and "note" in transition.requires and not note:
        raise ValidationError({"note": _("Say why.")})
    desk.ticket_change_state(ticket=ticket, workflow=TASK_WORKFLOW, target=to, actor=actor,
                             roles={Actor.AGENT}, note=note)
    if to in CLOSED_TASK_STATES:
        _after_task_closed(ticket, actor)
    return ticket


def _after_task_closed(ticket: Ticket, actor: User | None) -> None:
    task = _task_of(ticket)
    item = task.requested_item
    _open_ready_tasks(item, actor)
    _set_item_state(item)
    _roll_up(Ticket(pk=item.request_id), actor)


@service
def task_assign(*, ticket: Ticket, actor: User, team, assignee: User | None,
                expected_version: int | None = None) -> Ticket:
    if not can_work_tickets(actor):
        raise NotPermitted(_("Only service desk staff can work fulfilment tasks."))
    ticket = desk.ticket_lock(ticket=ticket, expected_version=expected_version)
    desk.ticket_assign(ticket=ticket, actor=actor, team=team, assignee=assignee)
    return ticket


# --- Cancelling and copying -------------------------------------------------------------------


@service
def request_cancel(*, ticket: Ticket, actor: User, reason: str = "", expected_version: int | None = None) -> Ticket:
    """Cancel a request: the requester while it awaits approval, an agent also during fulfilment.

    The open approval round is cancelled, unfinished items are cancelled and their open tasks skipped.
    """
    reason = (reason or "").strip()
    ticket = desk.ticket_lock(ticket=ticket, expected_version=expected_version)
    desk.ticket_change_state(ticket=ticket, workflow=REQUEST_WORKFLOW, target=RequestState.CANCELLED, actor=actor,
                             note=reason)
    approvals.approval_cancel(actor=actor, ticket=ticket, reason=reason)
    items = RequestedItem.objects.filter(request_id=ticket.pk).exclude(state__in=rollup.ITEM_FINISHED)
    open_tasks = FulfilmentTask.objects.filter(requested_item__in=items).exclude(
        ticket__state__in=CLOSED_TASK_STATES).select_related("ticket")
    for task in open_tasks:
        task_ticket = desk.ticket_lock(ticket=task.ticket, expected_version=None)
        desk.ticket_change_state(ticket=task_ticket, workflow=TASK_WORKFLOW, target=TaskState.CLOSED_SKIPPED,
                                 actor=None, roles=SYSTEM, note_code="task_request_cancelled",
                                 note_params={"number": ticket.number})
    items.update(state=ItemStep.CANCELLED)
    return ticket


@service
def request_copy(*, ticket: Ticket, actor: User) -> Ticket:
    """Order again what a rejected request asked for (the requester), with the same answers.

    The answers are checked again against each item's current form: if an item or its form changed,
    ``OrderInvalid`` says what to fix, and the requester orders from the item page instead.
    """
    if ticket.kind != TicketKind.REQUEST or ticket.state != RequestState.REJECTED:
        raise ValidationError({"__all__": _("Only a rejected request can be copied.")})
    if actor.pk != ticket.requester_id:
        raise NotPermitted(_("Only the person who ordered it can order it again."))
    request = ServiceRequest.objects.select_related("requested_for").get(ticket_id=ticket.pk)
    lines = [OrderLine(item=i.item, quantity=i.quantity, answers=reusable_answers(i))
             for i in request.items.select_related("item", "item__current_form").order_by("position", "id")]
    for_whom = request.requested_for if request.requested_for_id != actor.pk else None
    new = request_submit(actor=actor, lines=lines, requested_for=for_whom)
    ServiceRequest.objects.filter(ticket_id=new.pk).update(copied_from=ticket)
    return new


def reusable_answers(item: RequestedItem) -> dict:
    """The answers as they were given, minus uploaded files (those stay on the first request)."""
    kept = {row["key"] for row in item.snapshot or [] if row.get("type") != QuestionType.ATTACHMENT}
    return {key: value for key, value in item.answers.items() if key in kept or not item.snapshot}
