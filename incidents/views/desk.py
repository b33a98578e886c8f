"""The console's incident pages: the incident page with its actions, and opening on behalf of a caller.

Every action is an ordinary POST form that redirects back to the incident (works without
JavaScript); htmx enhances the conversation and the CI panel with partial updates. Each view
parses its form, calls ONE incident service and turns the service's errors into form errors or
messages: never a 500, never a half-written record.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.roles import can_manage_major_incidents
from esm.access import desk_required
from esm.errors import DomainError, StaleVersion, TransitionNotAllowed
from esm.widgets import options_html
from servicedesk import page_cache
from servicedesk import services as desk_services
from servicedesk.choices import PRIORITY_BADGE, TicketKind
from servicedesk.detail import read_around
from servicedesk.models import Ticket
from servicedesk.registry import desk_panels_html, state_of
from servicedesk.rendering import render_markdown
from servicedesk.views import ci_panel
from servicedesk.views.desk import LOOKUP_LIMIT, assignee_groups, is_partial, users_matching
from servicedesk.workflow import State

from .. import services
from ..forms.desk import (
    AssignForm,
    CommentForm,
    EscalateForm,
    IncidentCreateForm,
    IncidentEditForm,
    MajorForm,
    MergeForm,
    ParentForm,
    TransitionForm,
    VersionedForm,
    attachment_limits,
)
from ..workflow import INCIDENT_WORKFLOW
from . import page

MAX_CHILDREN_SHOWN = 50


def stale_message() -> str:
    return _("This incident was changed by someone else since you opened it. Nothing was saved: "
             "check the current values and try again.")


NAMESPACE = "desk-incidents"


def _incident(request, number: str) -> Ticket:
    """The incident row alone; what a page or action needs around it is read separately (page.py)."""
    ticket = page.incident_for_page(request.user, number)
    if ticket is None:
        raise Http404
    return ticket


def _detail_url(ticket: Ticket, anchor: str = "") -> str:
    return reverse("desk-incidents:detail", args=[ticket.number]) + (f"#{anchor}" if anchor else "")


def _state(value: str) -> State | None:
    return state_of(TicketKind.INCIDENT, value)


def _render_timeline(request, ticket: Ticket) -> HttpResponse:
    """The timeline's newest entries, or (``before``) the next older ones to append under the shown ones."""
    raw = request.GET.get("before", "")
    before = int(raw) if raw.isdigit() and len(raw) < 18 else None
    if before is not None:
        context = {"ticket": ticket, "timeline_before": before, **page.older_timeline(ticket, before)}
        if getattr(request, "htmx", False):
            return render(request, "desk/incidents/_timeline_entries.html", context)
        return render(request, "desk/incidents/timeline_older.html", context)  # the link, without JavaScript
    # After a new work note: the timeline plus the time-worked totals out of band.
    around = read_around(ticket, request.user, timeline=True, time_worked=True, ci_links=False)
    return render(request, "desk/incidents/_timeline.html", {
        "ticket": ticket, "oob": True, **page.timeline_context(ticket, around.timeline),
        **page.time_worked(around.time_by_agent)})


# --- The incident page ----------------------------------------------------------------------


@dataclass
class TransitionAction:
    transition: object
    form: TransitionForm
    open: bool = False


def _transition_form(data=None, *, target: str, version: int | None = None) -> TransitionForm:
    # One form per button on the page: distinct element ids, the same field names.
    initial = {"version": version, "to": target}
    return TransitionForm(data, initial=initial, auto_id=f"id_t_{target}_%s")


def _transition_actions(request, ticket: Ticket, bound: TransitionForm | None) -> list[TransitionAction]:
    actions = []
    for transition in services.allowed_transitions(ticket=ticket, actor=request.user):
        if bound is not None and bound.data.get("to") == transition.target:
            actions.append(TransitionAction(transition, bound, open=True))
        else:
            actions.append(TransitionAction(transition, _transition_form(target=transition.target,
                                                                         version=ticket.version)))
    return actions


def _team_id(value) -> int | None:
    value = str(value or "")
    return int(value) if value.isdigit() and len(value) < 18 else None


def _render_detail(request, ticket: Ticket, *, status: int = 200, open_panel: str = "", **bound) -> HttpResponse:
    """The incident page; ``bound`` replaces a blank form by the agent's submitted one (with its errors).

    A plain view's body comes from the cache while nothing it shows has changed
    (``servicedesk.page_cache``); the SLA panel and the CSRF token are put in for each request.
    """
    rows = page.page_rows(ticket, request.user)
    plain = not bound and not open_panel and status == 200 and not request.GET
    key = page_cache.body_key("incident", request.user, page.body_inputs(ticket, rows)) if plain else ""
    body = page_cache.get(key) if plain else None
    if body is None:
        body = render_to_string("desk/incidents/_page_body.html", {
            **_detail_context(request, ticket, page.around_page(ticket, rows), open_panel=open_panel, **bound),
            **page_cache.body_context()}, request=request)
        if plain:
            page_cache.keep(key, body)
    panels = desk_panels_html(ticket, request)
    whole_key = page_cache.page_key(request, "incident-page", key, panels) if plain else None
    html = page_cache.get(whole_key) if whole_key else None
    if html is None:
        html = render_to_string("desk/incidents/detail.html", {
            "ticket": ticket, "body": page_cache.with_panels(body, panels),
            "csrf_token": page_cache.CSRF_PLACEHOLDER}, request=request)
        if whole_key:
            page_cache.keep(whole_key, html, ttl=120)
    return page_cache.page_response(request, html, status)


def _detail_context(request, ticket: Ticket, around, *, open_panel: str, **bound) -> dict:
    data = page.read_page(ticket, request.user, around)
    data.pop("around")
    version = {"version": ticket.version}
    edit_form = bound.get("edit_form")
    all_choices = edit_form is not None or request.GET.get("edit") == "all"
    if edit_form is None:
        edit_form = IncidentEditForm(ticket=ticket, prefix="edit")
        if not all_choices:  # the full lists load when the form opens (page.py)
            edit_form.fields["category"].widget.choices = page.current_only_choices(ticket.category)
            edit_form.fields["service"].widget.choices = page.current_only_choices(ticket.service)
    assign_form = bound.get("assign_form") or AssignForm(
        initial={**version, "team": ticket.team_id, "assignee": ticket.assignee_id}, prefix="assign")
    escalate_form = bound.get("escalate_form") or EscalateForm(
        initial={**version, "level": "functional"}, prefix="esc")
    teams = page.team_choices(around.teams)
    assign_form.fields["team"].widget.choices = teams
    escalate_form.fields["team"].widget.choices = teams
    team_id = _team_id(assign_form["team"].value())
    if team_id == ticket.team_id:
        members = around.team_members
    else:  # a bound form naming another team
        members = next((m for _t, m in assignee_groups(team_id)), []) if team_id else []
    ci_q = request.GET.get("ci_q", "")[:100]
    return {
        "ticket": ticket,
        "incident": ticket.incident,
        "state": _state(ticket.state),
        "priority_badge": PRIORITY_BADGE.get(ticket.priority, "secondary"),
        "transitions": _transition_actions(request, ticket, bound.get("transition_form")),
        "edit_form": edit_form,
        "edit_open": "edit_form" in bound or request.GET.get("edit") == "all",
        "edit_all_choices": all_choices,
        "assign_form": assign_form,
        "assignee_options": options_html([("", _("— nobody —")), *((m.pk, m.display_name) for m in members)],
                                         {str(assign_form["assignee"].value() or "")}),
        "escalate_form": escalate_form,
        "lead_form": bound.get("lead_form") or EscalateForm(
            initial={**version, "level": "hierarchical"}, prefix="lead"),
        "can_manage_major": can_manage_major_incidents(request.user),
        "major_form": MajorForm(initial={**version, "major": "0" if ticket.incident.major else "1"}, prefix="major"),
        "parent_form": bound.get("parent_form") or ParentForm(
            initial={**version, "parent": ticket.parent.number if ticket.parent_id else ""}, prefix="parent"),
        "merge_form": bound.get("merge_form") or MergeForm(initial=version, prefix="merge"),
        "comment_form": bound.get("comment_form") or CommentForm(prefix="c"),
        "limits": attachment_limits(),
        **data,
        "description_html": render_markdown(ticket.description),
        "open_panel": open_panel,
        **ci_panel.ci_panel_context(NAMESPACE, ticket, ci_q, data["ci_links"], data["affected_services"]),
    }


@desk_required
@require_GET
def edit_choices(request, number: str):
    """The edit form's full category and service selects, swapped in when the form opens (htmx)."""
    ticket = _incident(request, number)
    form = IncidentEditForm(ticket=ticket, prefix="edit")
    for name in ("category", "service"):
        form.fields[name].widget.attrs["hx-swap-oob"] = "true"
    return render(request, "desk/incidents/_edit_choices.html", {"edit_form": form})


@desk_required
@require_GET
def incident_detail(request, number: str):
    return _render_detail(request, _incident(request, number))


@desk_required
@require_GET
def incident_timeline(request, number: str):
    return _render_timeline(request, _incident(request, number))


def _act(request, ticket: Ticket, form, form_key: str, call, *, success: str = "", anchor: str = "",
         stale_in_form: bool = False) -> HttpResponse:
    """Validate ``form``, run ``call(cleaned_data)`` (one service) and answer POST-redirect-GET.

    Field problems re-render the page with the form and its errors (status 400); refusals of the
    business rules become a message on the redirected page.
    """
    if not form.is_valid():
        hidden = {name for name, f in form.fields.items() if f.widget.is_hidden}
        if not form_key or set(form.errors) <= hidden:
            # Only the fields the page itself filled in are wrong: nothing the agent could fix in the form.
            messages.error(request, _("The page was out of date. Please try again."))
            return redirect(_detail_url(ticket, anchor))
        return _render_detail(request, ticket, status=400, **{form_key: form, "open_panel": form_key})
    try:
        call(form.cleaned_data)
    except StaleVersion as exc:
        if not stale_in_form:
            messages.error(request, stale_message())
            return redirect(_detail_url(ticket, anchor))
        return _stale_edit(request, ticket, form, exc)
    except ValidationError as exc:
        form.add_service_errors(exc)
        return _render_detail(request, ticket, status=400, **{form_key: form, "open_panel": form_key})
    except TransitionNotAllowed as exc:
        allowed = ", ".join(str(INCIDENT_WORKFLOW.state(s).label) for s in exc.allowed) or _("none")
        messages.error(request, _("%(detail)s Allowed now: %(allowed)s.") % {"detail": exc.detail, "allowed": allowed})
        return redirect(_detail_url(ticket, anchor))
    except DomainError as exc:
        messages.error(request, exc.detail)
        return redirect(_detail_url(ticket, anchor))
    if success:
        messages.success(request, success)
    return redirect(_detail_url(ticket, anchor))


def _stale_edit(request, ticket: Ticket, form: IncidentEditForm, exc: StaleVersion) -> HttpResponse:
    """Keep the agent's input next to the current values; saving again is then a deliberate choice."""
    fresh = _incident(request, ticket.number)
    data = form.data.copy()
    data[form.add_prefix("version")] = str(exc.current_version)
    rebound = IncidentEditForm(data, ticket=fresh, prefix=form.prefix)
    rebound.is_valid()
    rebound.add_error(None, _("This incident was changed by someone else since you opened it. Your changes "
                              "were not saved: the page now shows the current values; check them and save "
                              "again to apply yours."))
    return _render_detail(request, fresh, status=409, edit_form=rebound, open_panel="edit_form")


@desk_required
@require_POST
def incident_edit(request, number: str):
    ticket = _incident(request, number)
    form = IncidentEditForm(request.POST, ticket=ticket, prefix="edit")

    if form.is_valid() and not form.changes():
        messages.info(request, _("Nothing changed."))
        return redirect(_detail_url(ticket))
    return _act(request, ticket, form, "edit_form", lambda d: services.incident_update(
        ticket=ticket, actor=request.user, expected_version=d["version"], **form.changes()),
        success=_("Saved."), stale_in_form=True)


def _offered(request, ticket: Ticket, target: str):
    return next((t for t in services.allowed_transitions(ticket=ticket, actor=request.user) if t.target == target),
                None)


@desk_required
@require_POST
def incident_transition(request, number: str):
    ticket = _incident(request, number)
    target = request.POST.get("to", "")[:30]
    transition = _offered(request, ticket, target)
    if transition is not None and transition.confirm and request.POST.get("confirmed") not in ("1", "True", "on"):
        # A destructive step without its confirmation (an old page, a stray click): ask first.
        return redirect("desk-incidents:confirm", ticket.number, target)
    form = _transition_form(request.POST, target=target)
    return _act(request, ticket, form, "transition_form", lambda d: services.incident_transition(
        ticket=ticket, actor=request.user, to=d["to"], expected_version=d["version"],
        resolution_code=d["resolution_code"], resolution_notes=d["resolution_notes"],
        on_hold_reason=d["on_hold_reason"], note=d["note"] if transition and transition.confirm else "",
    ))


@desk_required
@require_GET
def incident_confirm_transition(request, number: str, target: str):
    """The confirmation page of a destructive step (cancel): works without JavaScript."""
    ticket = _incident(request, number)
    transition = _offered(request, ticket, target)
    if transition is None or not transition.confirm:
        messages.error(request, _("This step is not available for %(number)s now.") % {"number": ticket.number})
        return redirect(_detail_url(ticket))
    form = _transition_form(target=target, version=ticket.version)
    form.initial["confirmed"] = True
    return render(request, "desk/incidents/confirm.html", {"ticket": ticket, "transition": transition,
                                                           "form": form})


@desk_required
@require_POST
def incident_assign(request, number: str):
    ticket = _incident(request, number)
    form = AssignForm(request.POST, prefix="assign")
    return _act(request, ticket, form, "assign_form", lambda d: services.incident_assign(
        ticket=ticket, actor=request.user, team=d["team"], assignee=d["assignee"], expected_version=d["version"]),
        success=_("Assigned."))


@desk_required
@require_POST
def incident_assign_to_me(request, number: str):
    ticket = _incident(request, number)
    form = VersionedForm(request.POST, prefix="me")
    return _act(request, ticket, form, "", lambda d: services.incident_assign_to_me(
        ticket=ticket, actor=request.user, expected_version=d["version"]), success=_("Assigned to you."))


@desk_required
@require_POST
def incident_escalate(request, number: str):
    ticket = _incident(request, number)
    prefix = "lead" if request.POST.get("lead-level") == "hierarchical" else "esc"
    form = EscalateForm(request.POST, prefix=prefix)
    return _act(request, ticket, form, "lead_form" if prefix == "lead" else "escalate_form",
                lambda d: services.incident_escalate(
                    ticket=ticket, actor=request.user, level=d["level"], team=d["team"], reason=d["reason"],
                    expected_version=d["version"]),
                success=_("Escalated."))


@desk_required
@require_POST
def incident_major(request, number: str):
    if not can_manage_major_incidents(request.user):
        raise PermissionDenied
    ticket = _incident(request, number)
    form = MajorForm(request.POST, prefix="major")
    return _act(request, ticket, form, "", lambda d: services.incident_set_major(
        ticket=ticket, actor=request.user, major=d["major"], expected_version=d["version"]),
        success=_("Major-incident flag updated."))


@desk_required
@require_POST
def incident_parent(request, number: str):
    ticket = _incident(request, number)
    form = ParentForm(request.POST, prefix="parent")
    return _act(request, ticket, form, "parent_form", lambda d: services.incident_set_parent(
        ticket=ticket, actor=request.user, parent=d["parent"], expected_version=d["version"]),
        success=_("Parent updated."))


@desk_required
@require_POST
def incident_merge(request, number: str):
    ticket = _incident(request, number)
    form = MergeForm(request.POST, prefix="merge")
    return _act(request, ticket, form, "merge_form", lambda d: services.incident_merge(
        ticket=ticket, actor=request.user, into=d["into"], expected_version=d["version"]),
        success=_("Merged."))


# --- Conversation ---------------------------------------------------------------------------


def _save_comment(request, ticket: Ticket, form: CommentForm) -> None:
    """A reply or work note, its attachments and its time: one service call, all or nothing."""
    data = form.cleaned_data
    services.incident_comment(ticket=ticket, actor=request.user, body=data["body"], public=form.public,
                              attachments=data["attachments"], minutes=data["minutes"] or None)


@desk_required
@require_POST
def incident_comment(request, number: str):
    ticket = _incident(request, number)
    form = CommentForm(request.POST, request.FILES, prefix="c")
    partial = is_partial(request, "composer")
    error = None
    if form.is_valid():
        try:
            _save_comment(request, ticket, form)
        except ValidationError as exc:
            form.add_service_errors(exc)
        except DomainError as exc:
            error = exc.detail
    if partial:
        saved = form.is_valid() and error is None
        response = render(request, "desk/incidents/_composer.html", {
            "ticket": ticket, "comment_form": CommentForm(prefix="c") if saved else form, "error": error,
            "limits": attachment_limits(), "saved": saved,
        })
        if saved:
            response["HX-Trigger"] = "timeline-changed"
        return response
    if not form.is_valid():
        return _render_detail(request, ticket, status=400, comment_form=form)
    if error:
        messages.error(request, error)
    return redirect(_detail_url(ticket, "timeline"))


# --- Configuration items --------------------------------------------------------------------


@desk_required
@require_GET
def ci_search(request, number: str):
    return ci_panel.ci_search(request, NAMESPACE, _incident(request, number))


@desk_required
@require_POST
def ci_link(request, number: str):
    return ci_panel.ci_action(request, NAMESPACE, _incident(request, number), lambda ticket, ci: (
        desk_services.ticket_link_cis(ticket=ticket, actor=request.user, cis=[ci])), _("Configuration item linked."))


@desk_required
@require_POST
def ci_unlink(request, number: str):
    return ci_panel.ci_action(request, NAMESPACE, _incident(request, number), lambda ticket, ci: (
        desk_services.ticket_unlink_ci(ticket=ticket, actor=request.user, ci=ci)), _("Configuration item unlinked."))


# --- Opening on behalf of a caller ----------------------------------------------------------


@desk_required
@require_http_methods(["GET", "POST"])
def incident_create(request):
    if request.method == "POST" and "find" in request.POST:
        # "Find" (without JavaScript): look the caller up, keep what was typed, validate nothing yet.
        form = IncidentCreateForm(initial=request.POST.dict())
    else:
        form = IncidentCreateForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            ticket = services.incident_open(actor=request.user, **form.service_kwargs())
        except ValidationError as exc:
            form.add_service_errors(exc)
        except DomainError as exc:
            form.add_error(None, exc.detail)
        else:
            messages.success(request, _("%(number)s opened for %(name)s.")
                             % {"number": ticket.number, "name": ticket.requester.display_name})
            return redirect(_detail_url(ticket))
    requester = form.cleaned_data.get("requester") if form.is_bound else None
    search = (form["requester_q"].value() or "").strip()
    team_id = _team_id(form["team"].value())
    return render(request, "desk/incidents/create.html", {
        "form": form,
        "requester": requester,
        "requester_list": [requester] if requester else [],
        "requester_pk": str(requester.pk) if requester else "",
        "matches": list(users_matching(search)) if search and requester is None else [],
        "requester_search": search,
        "limit": LOOKUP_LIMIT,
        "assignee_groups": assignee_groups(team_id) if team_id else [],
        "assign_selected": str(form["assignee"].value() or ""),
    }, status=400 if form.is_bound else 200)
