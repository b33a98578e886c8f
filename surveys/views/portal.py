"""Portal pages of the survey: the signed link (no log-in), and a signed-in requester's own surveys.

The link page needs no account: the signature proves the e-mail reached the requester, and the
token names one ticket. A forged or malformed link answers 400, an expired one 410, each with a
page in plain words, never a 500. The same form serves a signed-in requester from "My surveys".
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe

from servicedesk.queries import is_ticket_number

from .. import links, queries, services
from ..forms import AnswerForm
from ..models import AnswerChannel, Survey
from .common import run_service


def _survey_of_ticket(ticket_id: int) -> Survey | None:
    return Survey.objects.select_related("ticket", "requester").filter(ticket_id=ticket_id).first()


def _problem(request, *, expired: bool):
    status = 410 if expired else 400
    return render(request, "surveys/portal/link_problem.html", {"expired": expired}, status=status)


@require_http_methods(["GET", "POST"])
def survey_by_link(request, token: str):
    """The page the e-mailed link opens, signed in or not."""
    try:
        ticket_id = links.read_token(token)
    except links.LinkError as exc:
        return _problem(request, expired=exc.expired)
    survey = _survey_of_ticket(ticket_id)
    if survey is None or survey.invited_at is None:
        return _problem(request, expired=False)
    return _answer_page(request, survey, actor=survey.requester, via=AnswerChannel.LINK,
                        action=reverse("portal:survey", args=[token]))


@login_required
@require_http_methods(["GET", "POST"])
def survey_by_number(request, number: str):
    """The same survey for the signed-in requester (from "My surveys"); anyone else's is a 404."""
    number = (number or "").strip().upper()
    if not is_ticket_number(number):
        raise Http404
    survey = (Survey.objects.select_related("ticket", "requester")
              .filter(ticket__number=number, requester=request.user, invited_at__isnull=False).first())
    if survey is None:
        raise Http404
    return _answer_page(request, survey, actor=request.user, via=AnswerChannel.PORTAL,
                        action=reverse("portal:survey_ticket", args=[number]))


def _answer_page(request, survey: Survey, *, actor, via: str, action: str):
    now = timezone.now()
    if not services.can_answer(survey, now):
        status = 200 if survey.answered_at else 410
        return render(request, "surveys/portal/survey.html", _context(survey, None, action, closed=True),
                      status=status)
    if request.method == "POST":
        form = AnswerForm(request.POST)
        if form.is_valid() and run_service(form, lambda: services.survey_answer(
                survey=survey, actor=actor, score=form.cleaned_data["score"], comment=form.cleaned_data["comment"],
                via=via)):
            messages.success(request, _("Thank you! Your answer helps us improve."))
            return redirect(action)
        return render(request, "surveys/portal/survey.html", _context(survey, form, action), status=400)
    initial = {"score": survey.score, "comment": survey.comment} if survey.answered_at else {}
    return render(request, "surveys/portal/survey.html", _context(survey, AnswerForm(initial=initial), action))


def _context(survey: Survey, form, action: str, *, closed: bool = False) -> dict:
    return {"nav": "surveys", "survey": survey, "ticket": survey.ticket, "form": form, "action": action,
            "closed": closed, "editable_until": services.editable_until(survey),
            "comment_required_at_or_below": survey.comment_required_at_or_below}


@login_required
@require_safe
def my_surveys(request):
    """The requester's surveys still open for an answer (or a change of answer)."""
    return render(request, "surveys/portal/my_surveys.html", {
        "nav": "surveys", "surveys": queries.open_for_requester(request.user),
        "edit_hours": services.EDIT_HOURS})
