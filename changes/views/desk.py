"""The console's change page and its actions.

Every action is an ordinary POST form that redirects back to the change (works without
JavaScript); htmx enhances the CI panel and the timeline. Each view parses its form, calls the
change services and turns their errors into form errors that keep the input (a refused move, a
stale version) — never a 500, never a half-written record. The page offers only the moves
``changes.services.available_actions`` lists, with the fields each one needs.
"""

from dataclasses import dataclass, field

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from esm.access import desk_required
from esm.errors import DomainError, StaleVersion, TransitionNotAllowed
from servicedesk.choices import TicketKind
from servicedesk.detail import read_around
from servicedesk.models import Ticket
from servicedesk.queries import tickets_visible_to
from servicedesk.registry import desk_panels_html
from servicedesk.rendering import render_markdown
from servicedesk.views import ci_panel

from .. import services
from ..choices import ChangeState, LinkRelation
from ..forms.desk import ChangeEditForm, ChangeTransitionForm, LinkForm, RiskForm
from . import page
from .access import can_manage
from .panels import approvals_context, conflicts_context, guard_texts, risk_reason_texts


def stale_message() -> str:
    return _("This change was changed by someone else since you opened it. Nothing was saved: "
             "check the current values and try again.")


NAMESPACE = "desk-changes"


def _change(request, number: str) -> Ticket:
    ticket = page.change_for_page(request.user, number)
    if ticket is None:
        raise Http404
    return ticket


def detail_url(ticket: Ticket, anchor: str = "") -> str:
    return reverse("desk-changes:detail", args=[ticket.number]) + (f"#{anchor}" if anchor else "")


# --- Offered moves --------------------------------------------------------------------------


@dataclass
class Action:
    """One move the page offers: the domain's description, its form, and which fields to show."""

    target: str
    name: str
    label: str
    style: str
    confirm: bool
    form: ChangeTransitionForm
    fields: list = field(default_factory=list)
    blocked: list = field(default_factory=list)  # guard texts still missing
    overridable: bool = False
    open: bool = False

    @property
    def takeable(self) -> bool:
        return not self.blocked or self.overridable


def _fields_for(action: dict, *, manager: bool) -> list[str]:
    """The inputs a move needs on the page (the workflow's ``requires`` plus the domain's guards)."""
    target = action["target"]
    names = []
    if target == ChangeState.SCHEDULED:
        names += ["planned_start", "planned_end"]
        if manager:  # a freeze window may block it; only change managers may override
            names.append("override_reason")
    if target == ChangeState.IMPLEMENTING and action.get("overridable"):
        names.append("override_reason")
    if "outcome" in action["requires"] or target == ChangeState.CLOSED:
        names.append("outcome")
    if target == ChangeState.CLOSED:
        names.append("review_notes")
    if "reason" in action["requires"] or action["confirm"]:
        names.append("reason")
    return names


# Guards the move's own form answers (the window typed with Schedule, the review typed with Close).
ANSWERED_BY_FORM = {ChangeState.SCHEDULED: {"planned_window"},
                    ChangeState.CLOSED: {"review", "outcome", "lessons_learned"}}


def _transition_form(data=None, *, target: str, ticket: Ticket | None = None) -> ChangeTransitionForm:
    initial = {}
    if ticket is not None:
        change = ticket.change
        initial = {"version": ticket.version, "to": target, "planned_start": change.planned_start,
                   "planned_end": change.planned_end, "outcome": change.outcome,
                   "review_notes": change.review_notes}
    return ChangeTransitionForm(data, initial=initial, auto_id=f"id_t_{target}_%s")


def offered_actions(request, ticket: Ticket, bound: ChangeTransitionForm | None = None) -> list[Action]:
    manager = can_manage(request.user)
    actions = []
    for offered in services.available_actions(ticket, request.user):
        target = offered["target"]
        is_bound = bound is not None and bound.data.get("to") == target
        form = bound if is_bound else _transition_form(target=target, ticket=ticket)
        names = _fields_for(offered, manager=manager)
        actions.append(Action(
            target=target, name=offered["name"], label=offered["label"], style=offered["style"],
            confirm=offered["confirm"], form=form, fields=[form[name] for name in names],
            blocked=guard_texts([code for code in offered["blocked"] if code not in ANSWERED_BY_FORM.get(target, ())]),
            overridable=offered["overridable"], open=is_bound))
    return actions


# --- The change page ------------------------------------------------------------------------


def render_detail(request, ticket: Ticket, *, status: int = 200, open_panel: str = "", **bound) -> HttpResponse:
    """The change page; ``bound`` replaces a blank form by the person's submitted one (with its errors)."""
    data = page.read_page(ticket, request.user)
    data.pop("around")
    change = ticket.change
    version = {"version": ticket.version}
    ci_q = request.GET.get("ci_q", "")[:100]
    manager = can_manage(request.user)
    context = {
        "ticket": ticket,
        "change": change,
        "state": page.state_label(ticket.state),
        "type_badge": page.TYPE_BADGE.get(change.change_type, "secondary"),
        "risk_badge": page.RISK_BADGE.get(change.risk_level, "secondary"),
        "risk_reasons": risk_reason_texts(change.risk_reasons),
        "actions": offered_actions(request, ticket, bound.get("transition_form")),
        "edit_form": bound.get("edit_form") or ChangeEditForm(ticket=ticket, prefix="edit"),
        "edit_open": "edit_form" in bound,
        "risk_form": bound.get("risk_form") or RiskForm(
            initial=version, questions=data["risk_questions"], answers=change.risk_answers, prefix="risk"),
        "link_form": bound.get("link_form") or LinkForm(initial=version, prefix="link"),
        "open_panel": open_panel,
        "is_manager": manager,
        "description_html": render_markdown(ticket.description),
        **data,
        **ci_panel.ci_panel_context(NAMESPACE, ticket, ci_q, data["ci_links"], data["affected_services"]),
        **approvals_context(ticket, request),
        **conflicts_context(ticket),
        "extension_panels": desk_panels_html(ticket, request),
    }
    return render(request, "desk/changes/detail.html", context, status=status)


@desk_required
@require_GET
def change_detail(request, number: str):
    return render_detail(request, _change(request, number))


@desk_required
@require_GET
def change_timeline(request, number: str):
    ticket = _change(request, number)
    raw = request.GET.get("before", "")
    before = int(raw) if raw.isdigit() and len(raw) < 18 else None
    if before is not None:
        context = {"ticket": ticket, "timeline_before": before, **page.older_timeline(ticket, before)}
        if getattr(request, "htmx", False):
            return render(request, "desk/changes/_timeline_entries.html", context)
        return render(request, "desk/changes/timeline_older.html", context)
    around = read_around(ticket, request.user, timeline=True, ci_links=False)
    return render(request, "desk/changes/_timeline.html",
                  {"ticket": ticket, **page.timeline_context(ticket, around.timeline)})


# --- Actions --------------------------------------------------------------------------------


def _refused(request, ticket: Ticket, form, form_key: str, message: str) -> HttpResponse:
    """A move or save the rules refused: the page again, the form open with the message and the input."""
    form.add_error(None, message)
    return render_detail(request, page.change_for_page(request.user, ticket.number) or ticket, status=409,
                         open_panel=form_key, **{form_key: form})


def _act(request, ticket: Ticket, form, form_key: str, call, *, success: str = "", anchor: str = "") -> HttpResponse:
    """Validate ``form``, run ``call(cleaned_data)`` and answer POST-redirect-GET, or the page with the errors."""
    if not form.is_valid():
        hidden = {name for name, f in form.fields.items() if f.widget.is_hidden}
        if set(form.errors) <= hidden:
            messages.error(request, _("The page was out of date. Please try again."))
            return redirect(detail_url(ticket, anchor))
        return render_detail(request, ticket, status=400, open_panel=form_key, **{form_key: form})
    try:
        with transaction.atomic():
            call(form.cleaned_data)
    except StaleVersion as exc:
        return _stale(request, ticket, form, form_key, exc)
    except ValidationError as exc:
        form.add_service_errors(exc)
        return render_detail(request, ticket, status=400, open_panel=form_key, **{form_key: form})
    except TransitionNotAllowed as exc:
        return _refused(request, ticket, form, form_key, exc.detail)
    except DomainError as exc:
        return _refused(request, ticket, form, form_key, exc.detail)
    if success:
        messages.success(request, success)
    return redirect(detail_url(ticket, anchor))


def _stale(request, ticket: Ticket, form, form_key: str, exc: StaleVersion) -> HttpResponse:
    """Keep the person's input next to the current values; saving again is then a deliberate choice."""
    fresh = _change(request, ticket.number)
    data = form.data.copy()
    data[form.add_prefix("version")] = str(exc.current_version)
    if form_key == "edit_form":
        rebound = ChangeEditForm(data, ticket=fresh, prefix=form.prefix)
    elif form_key == "risk_form":
        rebound = RiskForm(data, questions=form.risk_questions, prefix=form.prefix)
    elif form_key == "transition_form":
        rebound = _transition_form(data, target=data.get("to", ""))
    else:
        rebound = type(form)(data, prefix=form.prefix)
    rebound.is_valid()
    rebound.add_error(None, _("This change was changed by someone else since you opened it. Your input was "
                              "not saved: the page now shows the current values; check them and send again."))
    return render_detail(request, fresh, status=409, open_panel=form_key, **{form_key: rebound})


@desk_required
@require_POST
def change_edit(request, number: str):
    ticket = _change(request, number)
    form = ChangeEditForm(request.POST, ticket=ticket, prefix="edit")
    if form.is_valid() and not form.changes():
        messages.info(request, _("Nothing changed."))
        return redirect(detail_url(ticket))
    return _act(request, ticket, form, "edit_form", lambda d: services.change_update(
        ticket=ticket, actor=request.user, expected_version=d["version"], **form.changes()), success=_("Saved."))


def _offered(request, ticket: Ticket, target: str) -> dict | None:
    return next((a for a in services.available_actions(ticket, request.user) if a["target"] == target), None)


@desk_required
@require_POST
def change_transition(request, number: str):
    ticket = _change(request, number)
    target = request.POST.get("to", "")[:30]
    offered = _offered(request, ticket, target)
    if offered is not None and offered["confirm"] and request.POST.get("confirmed") not in ("1", "True", "on"):
        # A destructive step without its confirmation (an old page, a stray click): ask first.
        return redirect("desk-changes:confirm", ticket.number, target)
    form = _transition_form(request.POST, target=target)

    def move(d):
        services.change_transition(
            ticket=ticket, actor=request.user, to=target, expected_version=d["version"], reason=d["reason"],
            override_reason=d["override_reason"], outcome=d["outcome"], review_notes=d["review_notes"],
            planned_start=d.get("planned_start"), planned_end=d.get("planned_end"))

    label = offered["label"] if offered else target
    return _act(request, ticket, form, "transition_form", move, success=_("%(action)s: done.") % {"action": label})


@desk_required
@require_GET
def change_confirm_transition(request, number: str, target: str):
    """The confirmation page of a destructive step (reject, cancel): works without JavaScript."""
    ticket = _change(request, number)
    offered = _offered(request, ticket, target)
    if offered is None or not offered["confirm"]:
        messages.error(request, _("This step is not available for %(number)s now.") % {"number": ticket.number})
        return redirect(detail_url(ticket))
    form = _transition_form(target=target, ticket=ticket)
    return render(request, "desk/changes/confirm.html", {"ticket": ticket, "action": offered, "form": form})


@desk_required
@require_POST
def change_risk(request, number: str):
    ticket = _change(request, number)
    form = RiskForm(request.POST, prefix="risk")
    return _act(request, ticket, form, "risk_form", lambda d: services.change_set_risk_answers(
        ticket=ticket, actor=request.user, answers=form.risk_answers(), expected_version=d["version"]),
        success=_("Risk assessed again."), anchor="risk")


@desk_required
@require_POST
def change_link(request, number: str):
    ticket = _change(request, number)
    form = LinkForm(request.POST, prefix="link")

    def link(d):
        other = tickets_visible_to(request.user).filter(number=d["number"]).first()
        if other is None or other.kind not in (TicketKind.INCIDENT, TicketKind.PROBLEM):
            raise ValidationError({"number": _("There is no incident or problem %(number)s.")
                                             % {"number": d["number"]}})
        if other.kind == TicketKind.PROBLEM and d["relation"] == LinkRelation.CAUSED:
            raise ValidationError({"relation": _("A change causes incidents, not problems.")})
        services.change_link(ticket=ticket, actor=request.user, other=other, relation=d["relation"])

    return _act(request, ticket, form, "link_form", link, success=_("Linked."), anchor="links")


@desk_required
@require_POST
def change_unlink(request, number: str):
    ticket = _change(request, number)
    other_number = request.POST.get("number", "")[:20].strip().upper()
    relation = request.POST.get("relation", "")
    other = tickets_visible_to(request.user).filter(number=other_number).first()
    if other is None or relation not in LinkRelation.values:
        messages.error(request, _("The page was out of date. Please try again."))
        return redirect(detail_url(ticket, "links"))
    try:
        services.change_unlink(ticket=ticket, actor=request.user, other=other, relation=relation)
    except (DomainError, ValidationError) as exc:
        messages.error(request, getattr(exc, "detail", None) or " ".join(exc.messages))
    else:
        messages.success(request, _("Link removed."))
    return redirect(detail_url(ticket, "links"))


# --- Configuration items --------------------------------------------------------------------


@desk_required
@require_GET
def ci_search(request, number: str):
    return ci_panel.ci_search(request, NAMESPACE, _change(request, number))


@desk_required
@require_POST
def ci_link(request, number: str):
    return ci_panel.ci_action(request, NAMESPACE, _change(request, number), lambda ticket, ci: (
        services.change_link_cis(ticket=ticket, actor=request.user, cis=[ci])), _("Configuration item linked."))


@desk_required
@require_POST
def ci_unlink(request, number: str):
    return ci_panel.ci_action(request, NAMESPACE, _change(request, number), lambda ticket, ci: (
        services.change_unlink_ci(ticket=ticket, actor=request.user, ci=ci)), _("Configuration item unlinked."))
