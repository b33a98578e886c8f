"""Console pages of problem management (``desk-problems``) and the portal's known-error page.

Every write is one call into ``problems.services``; refusals re-render the page with the message
and what was typed (400/409/412), never a 500 or half a change.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import can_manage_problems
from esm.access import desk_required
from esm.api_bases import parse_id
from esm.errors import DomainError
from esm.pagination import InvalidCursor, keyset_paginate
from servicedesk.choices import PRIORITY_BADGE, EventKind, TicketKind
from servicedesk.models import Ticket, TicketCI, TimelineEntry
from servicedesk.queries import is_ticket_number, search_tickets, tickets_visible_to
from servicedesk.registry import desk_panels_html, state_of
from servicedesk.rendering import render_markdown
from servicedesk.timeline import field_label, note_text

from . import services
from .choices import CauseCategory, KnownErrorStatus, ProblemState, RcaMethod
from .forms import KnownErrorForm, ProblemForm, RcaForm, TransitionForm, rca_lines, style
from .models import KnownError, KnownErrorUse, ProblemCandidate
from .queries import (
    CANDIDATE_ORDERINGS,
    DEFAULT_PROBLEM_ORDERING,
    KNOWN_ERROR_ORDERINGS,
    PROBLEM_ORDERINGS,
    candidate_incident_numbers,
    candidates_for,
    known_error_rows,
    known_errors_for,
    linked_incidents,
    problem_rows_queryset,
    problems_visible_to,
    search_known_errors,
)

PAGE_SIZE = 50
TIMELINE_SIZE = 50


def _queues():
    return {
        "mine": _("My problems"),
        "open": _("Open problems"),
        **{state: label for state, label in ProblemState.choices if state in (
            ProblemState.NEW, ProblemState.INVESTIGATION, ProblemState.KNOWN_ERROR, ProblemState.RESOLVED)},
        "all": _("Everything"),
    }


def _queue_filter(qs, user, queue: str):
    if queue == "mine":
        from django.db.models import Q

        return qs.filter(Q(problem__problem_manager=user) | Q(assignee=user), active=True)
    if queue == "open":
        return qs.filter(active=True)
    if queue in ProblemState.values:
        return qs.filter(state=queue)
    return qs


def _page(request, qs, orderings, default):
    ordering = request.GET.get("ordering") if request.GET.get("ordering") in orderings else default
    try:
        return keyset_paginate(qs, orderings=orderings, ordering=ordering, default_ordering=default,
                               cursor=request.GET.get("cursor") or None, page_size=PAGE_SIZE), ""
    except InvalidCursor as exc:
        return keyset_paginate(qs, orderings=orderings, ordering=ordering, default_ordering=default,
                               cursor=None, page_size=PAGE_SIZE), exc.messages[0]


def _query_without(request, *names) -> str:
    params = request.GET.copy()
    for name in names:
        params.pop(name, None)
    return params.urlencode()


def _error_text(exc) -> str:
    """A refusal as one message: a domain error's text, or a validation error's messages."""
    return getattr(exc, "detail", None) or " ".join(exc.messages)


def _manager_required(request) -> None:
    if not can_manage_problems(request.user):
        raise PermissionDenied


# --- Lists ----------------------------------------------------------------------------------


@desk_required
@require_GET
def problem_list(request):
    queues = _queues()
    queue = request.GET.get("queue") if request.GET.get("queue") in queues else "open"
    qs = _queue_filter(problem_rows_queryset(request.user), request.user, queue)
    q = (request.GET.get("q") or "")[:200]
    if q.strip():
        qs = search_tickets(qs, q, internal=True)
    page, cursor_error = _page(request, qs, PROBLEM_ORDERINGS, DEFAULT_PROBLEM_ORDERING)
    rows = [{"ticket": t, "state": state_of(TicketKind.PROBLEM, t.state),
             "priority_badge": PRIORITY_BADGE.get(t.priority, "secondary")} for t in page.items]
    return render(request, "problems/list.html", {
        "queues": list(queues.items()), "queue": queue, "rows": rows, "page": page, "q": q,
        "cursor_error": cursor_error, "page_query": _query_without(request, "cursor"),
        "open_candidates": ProblemCandidate.objects.filter(state="open").exists(),
    })


@desk_required
def problem_create(request):
    form = ProblemForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            ticket = services.problem_create(actor=request.user, **data)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            return redirect("desk-problems:detail", ticket.number)
    return render(request, "problems/create.html", {"form": form}, status=400 if form.errors else 200)


def _incidents_from(request, field: str = "incident") -> list[Ticket]:
    raw = request.POST.getlist(field) or request.POST.getlist("number")  # the queue's selection sends "number"
    numbers = list(dict.fromkeys(n.strip().upper() for n in raw if n.strip()))
    if len(numbers) > services.MAX_INCIDENTS_AT_ONCE:
        raise ValidationError({field: _("Link at most %(n)s incidents at once.")
                               % {"n": services.MAX_INCIDENTS_AT_ONCE}})
    found = list(tickets_visible_to(request.user)
                 .filter(number__in=[n for n in numbers if is_ticket_number(n)], kind=TicketKind.INCIDENT)
                 .select_related("category", "service").order_by("id"))
    if not found:
        raise ValidationError({field: _("Choose at least one incident.")})
    # Nothing is dropped quietly: a selection holding other tickets is refused with their numbers.
    missing = [n for n in numbers if n not in {t.number for t in found}]
    if missing:
        raise ValidationError({field: _("Not incidents you can link: %(numbers)s.")
                               % {"numbers": ", ".join(missing)}})
    return found


@desk_required
@require_POST
def raise_from_incidents(request):
    """"Raise a problem" from one incident (its page) or several (the queue's selection)."""
    try:
        ticket = services.problem_create(actor=request.user, incidents=_incidents_from(request))
    except (ValidationError, DomainError) as exc:
        messages.error(request, _error_text(exc))
        return redirect(_next(request, reverse("desk:queue")))
    messages.success(request, _("Problem %(number)s raised.") % {"number": ticket.number})
    return redirect("desk-problems:detail", ticket.number)


def _next(request, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default


# --- The problem page -----------------------------------------------------------------------


def _problem(request, number: str) -> Ticket:
    if not is_ticket_number(number):
        raise Http404
    ticket = (problems_visible_to(request.user).select_related(
        "problem", "problem__problem_manager", "requester", "team", "assignee", "category", "service")
        .filter(number=number.strip().upper()).first())
    if ticket is None:
        raise Http404
    return ticket


def _detail(request, ticket: Ticket, *, status: int = 200, open_form: str = "", **bound):
    problem = ticket.problem
    version = {"version": ticket.version}
    actions = []
    for action in services.available_actions(ticket, request.user):
        form = bound.get("transition_form") if bound.get("transition_target") == action["target"] else None
        form = form or TransitionForm(initial={**version, "to": action["target"]}, prefix=action["target"])
        style(form)
        fields = []
        if action["target"] == ProblemState.CANCELLED:
            fields = [form["reason"]]
        elif action["target"] == ProblemState.RESOLVED:
            fields = [form["resolution_notes"], form["no_change_reason"], form["resolve_incidents"],
                      form["incident_note"]]
        actions.append({**action, "form": form, "fields": fields, "open": open_form == action["target"],
                        "blocked_texts": [services.GUARD_TEXTS[c] for c in action["blocked"]]})
    rca_form = bound.get("rca_form") or RcaForm(initial={
        **version, "rca_method": problem.rca_method, "root_cause": problem.root_cause,
        "cause_category": problem.cause_category, "content": rca_lines(problem.rca_method, problem.rca_content)})
    edit_form = bound.get("edit_form") or ProblemForm(initial={
        **version, "title": ticket.title, "description": ticket.description, "impact": problem.impact,
        "urgency": problem.urgency, "category": ticket.category_id, "service": ticket.service_id,
        "problem_manager": problem.problem_manager_id})
    style(rca_form)
    incidents = linked_incidents(ticket)
    timeline = timeline_rows(ticket)
    context = {
        "ticket": ticket, "problem": problem, "state": state_of(TicketKind.PROBLEM, ticket.state),
        "description_html": render_markdown(ticket.description), "actions": actions,
        "rca_form": rca_form, "edit_form": edit_form, "open_form": open_form,
        "incidents": [{"ticket": i, "state": state_of(TicketKind.INCIDENT, i.state)} for i in incidents],
        "open_incident_count": sum(1 for i in incidents if i.active),
        "known_errors": list(problem.known_errors.order_by("-id")[:20]),
        "cis": list(TicketCI.objects.filter(ticket=ticket).select_related("ci").order_by("ci__name")[:100]),
        "timeline": timeline, "manager": can_manage_problems(request.user),
        "panels": desk_panels_html(ticket, request),
        "incident_resolution": bound.get("incident_resolution"),
        "rca_whys": problem.rca_content.get("whys", []), "rca_events": problem.rca_content.get("events", []),
        "rca_causes": sorted(problem.rca_content.get("causes", {}).items()),
    }
    return render(request, "problems/detail.html", context, status=status)


CHOICE_LABELS = {"rca_method": dict(RcaMethod.choices), "cause_category": dict(CauseCategory.choices)}


def _shown(name: str, value):
    return CHOICE_LABELS.get(name, {}).get(value, value)


def timeline_rows(ticket: Ticket) -> list[dict]:
    """The newest entries of the problem's timeline, worded in the reader's language (one query)."""
    rows = []
    for entry in TimelineEntry.objects.filter(ticket=ticket).select_related("actor", "comment") \
            .order_by("-at", "-id")[:TIMELINE_SIZE]:
        data = entry.data or {}
        row = {"entry": entry, "note": note_text(data), "changes": [], "source": None, "target": None}
        if entry.kind == EventKind.STATE:
            row["source"] = state_of(TicketKind.PROBLEM, data.get("source"))
            row["target"] = state_of(TicketKind.PROBLEM, data.get("target"))
        elif entry.kind == EventKind.FIELDS:
            row["changes"] = [(field_label(TicketKind.PROBLEM, name), _shown(name, change.get("from")),
                               _shown(name, change.get("to"))) for name, change in (data.get("changes") or {}).items()]
        rows.append(row)
    return rows


@desk_required
@require_GET
def problem_detail(request, number: str):
    return _detail(request, _problem(request, number))


def _refused(request, ticket, exc, form, name: str, **extra):
    if isinstance(exc, ValidationError):
        form.add_service_errors(exc)
        status = 400
    else:
        form.add_error(None, exc.detail)
        status = exc.status_code
    if status == 403:
        raise PermissionDenied(exc.detail)
    return _detail(request, ticket, status=status, open_form=extra.pop("open_form", name), **{name: form}, **extra)


@desk_required
@require_POST
def problem_edit(request, number: str):
    ticket = _problem(request, number)
    form = ProblemForm(request.POST)
    if not form.is_valid():
        return _detail(request, ticket, status=400, open_form="edit", edit_form=form)
    data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
    try:
        services.problem_update(ticket=ticket, actor=request.user, expected_version=form.cleaned_data["version"],
                                **data)
    except (ValidationError, DomainError) as exc:
        return _refused(request, ticket, exc, form, "edit_form", open_form="edit")
    return redirect("desk-problems:detail", ticket.number)


@desk_required
@require_POST
def problem_rca(request, number: str):
    _manager_required(request)
    ticket = _problem(request, number)
    form = RcaForm(request.POST)
    content = form.rca_content() if form.is_valid() else {}
    if form.errors:
        return _detail(request, ticket, status=400, open_form="rca", rca_form=form)
    try:
        services.problem_record_rca(ticket=ticket, actor=request.user, expected_version=form.cleaned_data["version"],
                                    rca_method=form.cleaned_data["rca_method"], rca_content=content,
                                    root_cause=form.cleaned_data["root_cause"],
                                    cause_category=form.cleaned_data["cause_category"])
    except (ValidationError, DomainError) as exc:
        return _refused(request, ticket, exc, form, "rca_form", open_form="rca")
    return redirect("desk-problems:detail", ticket.number)


@desk_required
@require_POST
def problem_transition(request, number: str):
    _manager_required(request)
    ticket = _problem(request, number)
    target = request.POST.get("to") or next((k.split("-")[0] for k in request.POST if k.endswith("-to")), "")
    form = TransitionForm(request.POST, prefix=target)
    if not form.is_valid():
        return _detail(request, ticket, status=400, open_form=target, transition_form=form, transition_target=target)
    data = form.cleaned_data
    try:
        _ticket, result = services.problem_transition(
            ticket=ticket, actor=request.user, to=data["to"], expected_version=data["version"],
            reason=data["reason"], no_change_reason=data["no_change_reason"],
            resolution_notes=data["resolution_notes"], resolve_incidents=data["resolve_incidents"],
            incident_note=data["incident_note"])
    except (ValidationError, DomainError) as exc:
        return _refused(request, ticket, exc, form, "transition_form", open_form=target, transition_target=target)
    if result is not None:
        if result.resolved:
            messages.success(request, _("Resolved with the problem: %(numbers)s.")
                             % {"numbers": ", ".join(result.resolved)})
        for row in result.not_resolved:
            messages.warning(request, _("%(number)s could not be resolved: %(reason)s") % row)
    return redirect("desk-problems:detail", ticket.number)


@desk_required
@require_POST
def problem_link_incidents(request, number: str):
    ticket = _problem(request, number)
    try:
        numbers = " ".join(request.POST.getlist("incident")).replace(",", " ").split()
        request.POST = request.POST.copy()
        request.POST.setlist("incident", numbers)
        services.problem_link_incidents(ticket=ticket, actor=request.user, incidents=_incidents_from(request))
    except (ValidationError, DomainError) as exc:
        messages.error(request, _error_text(exc))
    return redirect("desk-problems:detail", ticket.number)


@desk_required
@require_POST
def problem_unlink_incident(request, number: str):
    ticket = _problem(request, number)
    incident = get_object_or_404(Ticket, problem_link__problem_id=ticket.pk,
                                 number=(request.POST.get("incident") or "").strip().upper()[:16])
    try:
        services.problem_unlink_incident(ticket=ticket, actor=request.user, incident=incident)
    except DomainError as exc:
        messages.error(request, _error_text(exc))
    return redirect("desk-problems:detail", ticket.number)


@desk_required
@require_POST
def problem_raise_change(request, number: str):
    ticket = _problem(request, number)
    try:
        change = services.problem_raise_change(ticket=ticket, actor=request.user)
    except (ValidationError, DomainError) as exc:
        messages.error(request, _error_text(exc))
        return redirect("desk-problems:detail", ticket.number)
    messages.success(request, _("Change %(number)s raised; it addresses this problem.") % {"number": change.number})
    return redirect("desk-changes:detail", change.number)


# --- Known errors ---------------------------------------------------------------------------


@desk_required
@require_GET
def known_error_list(request):
    qs = known_errors_for(request.user)
    q = (request.GET.get("q") or "")[:200]
    status = request.GET.get("status") if request.GET.get("status") in KnownErrorStatus.values else "active"
    qs = qs.filter(status=status)
    for name in ("ci", "service", "category"):
        value = parse_id(request.GET.get(name))
        if value is not None:
            qs = qs.filter(**{{"ci": "cis", "service": "services", "category": "category"}[name]: value})
    if q.strip():
        qs = search_known_errors(qs, q)
    page, cursor_error = _page(request, known_error_rows(qs), KNOWN_ERROR_ORDERINGS, "-updated_at")
    from cmdb.models import ConfigurationItem
    from servicedesk.models import Category

    return render(request, "problems/known_errors.html", {
        "rows": page.items, "page": page, "q": q, "status": status, "statuses": KnownErrorStatus.choices,
        "services": ConfigurationItem.objects.services().only("id", "name").order_by("name")[:500],
        "categories": Category.objects.filter(active=True).select_related("parent")[:500],
        "chosen": {n: request.GET.get(n, "") for n in ("ci", "service", "category")},
        "cursor_error": cursor_error, "page_query": _query_without(request, "cursor"),
        "manager": can_manage_problems(request.user),
    })


@desk_required
@require_GET
def known_error_detail(request, pk: int):
    known_error = get_object_or_404(known_error_rows(known_errors_for(request.user)), pk=pk)
    uses = KnownErrorUse.objects.filter(known_error=known_error).select_related("incident", "applied_by") \
        .order_by("-applied_at")[:50]
    return render(request, "problems/known_error.html", {
        "ke": known_error, "workaround_html": render_markdown(known_error.workaround), "uses": uses,
        "manager": can_manage_problems(request.user)})


@desk_required
def known_error_edit(request, pk: int | None = None):
    _manager_required(request)
    known_error = get_object_or_404(KnownError, pk=pk) if pk else None
    initial = {}
    if known_error is not None:
        initial = {"version": known_error.version, "title": known_error.title, "symptoms": known_error.symptoms,
                   "root_cause": known_error.root_cause, "workaround": known_error.workaround,
                   "workaround_public": known_error.workaround_public, "status": known_error.status,
                   "category": known_error.category_id,
                   "cis": ", ".join(known_error.cis.values_list("name", flat=True)),
                   "services": list(known_error.services.values_list("id", flat=True)),
                   "problem": known_error.problem.ticket.number if known_error.problem_id else ""}
    elif request.GET.get("problem"):
        initial["problem"] = request.GET["problem"][:16]
    form = KnownErrorForm(request.POST or None, initial=initial)
    style(form)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        number = (data.pop("problem") or "").strip().upper()
        problem = None
        if number:
            problem_ticket = problems_visible_to(request.user).filter(number=number).select_related("problem").first()
            if problem_ticket is None:
                form.add_error("problem", _("There is no problem %(number)s.") % {"number": number})
            else:
                problem = problem_ticket.problem
        if not form.errors:
            try:
                known_error = services.known_error_save(
                    actor=request.user, known_error=known_error, expected_version=version, problem=problem, **data)
            except (ValidationError, DomainError) as exc:
                if isinstance(exc, ValidationError):
                    form.add_service_errors(exc)
                else:
                    form.add_error(None, exc.detail)
            else:
                return redirect("desk-problems:known_error", known_error.pk)
    return render(request, "problems/known_error_form.html", {"form": form, "ke": known_error},
                  status=400 if form.errors else 200)


@desk_required
@require_POST
def apply_workaround(request, pk: int):
    known_error = get_object_or_404(known_errors_for(request.user), pk=pk)
    number = (request.POST.get("incident") or "").strip().upper()
    incident = tickets_visible_to(request.user).filter(number=number[:16], kind=TicketKind.INCIDENT).first() \
        if is_ticket_number(number) else None
    if incident is None:
        raise Http404
    try:
        services.known_error_apply(actor=request.user, known_error=known_error, incident=incident,
                                   tell_requester=bool(request.POST.get("tell_requester")),
                                   message=request.POST.get("message", ""))
    except (ValidationError, DomainError) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Workaround applied to %(number)s.") % {"number": incident.number})
    return redirect(_next(request, reverse("desk-incidents:detail", args=[incident.number])))


# --- Candidates -----------------------------------------------------------------------------


@desk_required
@require_GET
def candidate_list(request):
    qs = candidates_for(request.user).filter(state="open")
    page, cursor_error = _page(request, qs, CANDIDATE_ORDERINGS, "-last_opened_at")
    numbers = candidate_incident_numbers(page.items)
    rows = [{"candidate": c, "numbers": numbers.get(c.pk, [])[:8]} for c in page.items]
    return render(request, "problems/candidates.html", {
        "rows": rows, "page": page, "cursor_error": cursor_error, "page_query": _query_without(request, "cursor"),
        "manager": can_manage_problems(request.user)})


@desk_required
@require_POST
def candidate_decide(request, pk: int, decision: str):
    _manager_required(request)
    candidate = get_object_or_404(ProblemCandidate, pk=pk)
    try:
        if decision == "accept":
            ticket = services.candidate_accept(actor=request.user, candidate=candidate)
            return redirect("desk-problems:detail", ticket.number)
        services.candidate_dismiss(actor=request.user, candidate=candidate)
        messages.success(request, _("Dismissed; these incidents will not be proposed again."))
    except (ValidationError, DomainError) as exc:
        messages.error(request, _error_text(exc))
    return redirect("desk-problems:candidates")


# --- Portal ---------------------------------------------------------------------------------


def portal_known_error(request, pk: int):
    """A public workaround in plain words; only active known errors whose workaround is public."""
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    known_error = get_object_or_404(KnownError, pk=pk, status=KnownErrorStatus.ACTIVE, workaround_public=True)
    return render(request, "problems/portal_known_error.html", {
        "ke": known_error, "workaround_html": render_markdown(known_error.workaround)})
