"""Incident pages of the self-service portal: report a problem, follow it, reply, confirm or reopen it.

Thin views: each parses a form, calls the incident services and turns their errors into form
errors or messages. Someone else's ticket is a 404 on every URL (servicedesk.views.portal).
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from esm.errors import DomainError, StaleVersion, TransitionNotAllowed
from servicedesk.choices import TicketKind
from servicedesk.models import Ticket
from servicedesk.rendering import render_markdown
from servicedesk.views.portal import (
    ago,
    plain_state,
    portal_ticket_or_404,
    public_conversation,
)

from ..choices import Channel
from ..choices import IncidentState as S
from ..forms.portal import ReopenForm, ReplyForm, ReportForm, TicketActionForm
from ..services import allowed_transitions, incident_comment, incident_open, incident_transition


# Service error keys that a portal form shows under another name.
def _incident_or_404(request, number: str) -> Ticket:
    incidents = Ticket.objects.filter(kind=TicketKind.INCIDENT).select_related("incident", "service", "requester")
    return portal_ticket_or_404(request.user, number, incidents)


def _ticket_url(ticket: Ticket) -> str:
    return reverse("portal:ticket_detail", args=[ticket.number])


# --- Report a problem ----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def report(request):
    form = ReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        ticket = _open_incident(request, form)
        if ticket is not None:
            messages.success(request, _("We've received your request %(number)s. We'll keep you updated here "
                                        "and by e-mail.") % {"number": ticket.number})
            return redirect(_ticket_url(ticket))
    return render(request, "portal/report.html", {"nav": "report", "form": form})


def _open_incident(request, form: ReportForm) -> Ticket | None:
    """Open the incident and store its files in one transaction: a refused file leaves nothing behind."""
    data = form.cleaned_data
    try:
        ticket = incident_open(
            actor=request.user, requester=request.user, title=data["title"], description=data["description"],
            impact=data["impact"], urgency=data["urgency"], channel=Channel.PORTAL, service=data["service"],
            attachments=data["attachments"],
        )
    except ValidationError as exc:
        form.add_service_errors(exc)
        return None
    except DomainError as exc:
        form.add_error(None, exc.detail)
        return None
    return ticket


# --- The ticket page -----------------------------------------------------------------------


@login_required
@require_safe
def ticket_detail(request, number):
    return _render_ticket(request, _incident_or_404(request, number))


def _render_ticket(request, ticket: Ticket, *, reply_form=None, reopen_form=None):
    incident = ticket.incident
    allowed = {t.target for t in allowed_transitions(ticket=ticket, actor=request.user)}
    resolved = ticket.state == S.RESOLVED
    opening_files, conversation = public_conversation(ticket, request.user)
    return render(request, "portal/ticket_detail.html", {
        "nav": "tickets",
        "ticket": ticket,
        "plain_state": plain_state(ticket, request.user),
        "updated_ago": ago(ticket.updated_at),
        "description_html": render_markdown(ticket.description),
        "opening_files": opening_files,
        "conversation": conversation,
        "resolution_html": render_markdown(incident.resolution_notes) if ticket.resolved_at else "",
        "can_confirm": resolved and S.CLOSED in allowed,
        "can_reopen": resolved and S.IN_PROGRESS in allowed,
        "can_cancel": ticket.state == S.NEW and S.CANCELLED in allowed,
        "can_reply": ticket.closed_at is None,
        "reply_form": reply_form or ReplyForm(),
        "reopen_form": reopen_form or ReopenForm(initial={"version": ticket.version}),
        "reopen_open": reopen_form is not None,
        "autoclose_days": settings.INCIDENT_AUTOCLOSE_DAYS,
    })


@login_required
@require_POST
def reply(request, number):
    ticket = _incident_or_404(request, number)
    form = ReplyForm(request.POST, request.FILES)
    if ticket.closed_at is not None:
        messages.error(request, _("This request is closed. If the problem is back, please report a new one."))
        return redirect(_ticket_url(ticket))
    if form.is_valid():
        try:
            incident_comment(ticket=ticket, actor=request.user, body=form.cleaned_data["body"], public=True,
                             attachments=form.cleaned_data["attachments"])
        except ValidationError as exc:
            form.add_service_errors(exc)
        except DomainError as exc:
            form.add_error(None, exc.detail)
        else:
            messages.success(request, _("Your reply was sent."))
            return redirect(_ticket_url(ticket) + "#conversation")
    return _render_ticket(request, ticket, reply_form=form)


# --- Confirm, reopen, cancel ---------------------------------------------------------------


@login_required
@require_POST
def confirm(request, number):
    ticket = _incident_or_404(request, number)
    form = TicketActionForm(request.POST)
    if not form.is_valid():
        return _retry(request, ticket)
    return _transition(request, ticket, to=S.CLOSED, version=form.cleaned_data["version"],
                       done=_("Thank you for confirming. We've closed this request."))


@login_required
@require_POST
def reopen(request, number):
    ticket = _incident_or_404(request, number)
    form = ReopenForm(request.POST)
    if not form.is_valid():
        if "version" in form.errors:
            return _retry(request, ticket)
        return _render_ticket(request, ticket, reopen_form=form)
    return _transition(request, ticket, to=S.IN_PROGRESS, version=form.cleaned_data["version"],
                       note=form.cleaned_data["explanation"],
                       done=_("We've reopened your request and will look at it again."))


@login_required
@require_POST
def cancel(request, number):
    ticket = _incident_or_404(request, number)
    form = TicketActionForm(request.POST)
    if not form.is_valid():
        return _retry(request, ticket)
    return _transition(request, ticket, to=S.CANCELLED, version=form.cleaned_data["version"],
                       done=_("Your request was cancelled."))


def _retry(request, ticket: Ticket):
    messages.error(request, _("Something went wrong with that button. Please try again."))
    return redirect(_ticket_url(ticket))


def _transition(request, ticket: Ticket, *, to: str, version: int, done: str, note: str = ""):
    try:
        incident_transition(ticket=ticket, actor=request.user, to=to, expected_version=version, note=note)
    except StaleVersion:
        messages.warning(request, _("This request changed while you were looking at it. "
                                    "Please read the latest updates and try again."))
    except TransitionNotAllowed:
        messages.error(request, _("That isn't possible for this request any more."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, done)
    return redirect(_ticket_url(ticket))
