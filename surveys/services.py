"""Every write of the surveys app (docs/architecture.md, rule 1): policies, invitations, answers, follow-up.

Flow: a ticket enters a resolved state → ``survey_schedule`` (from the lifecycle signal, after
commit) creates the survey with a due instant when the kind's policy samples the ticket → the beat
scan ``invitations_send_due`` claims due rows with ``FOR UPDATE SKIP LOCKED`` and e-mails the signed
link through the outbox → ``survey_answer`` stores the score (editable for ``EDIT_HOURS``); a low
score opens a follow-up and e-mails the team lead → ``survey_follow_up`` records contact and closure.
"""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import can_view_satisfaction, can_work_tickets
from esm.errors import DomainError, NotPermitted, StaleVersion
from esm.services import service
from servicedesk import registry
from servicedesk.choices import EventKind
from servicedesk.models import Ticket, TimelineEntry
from servicedesk.notifications import notify

from . import links
from .access import can_manage_policies
from .models import SCORE_MAX, SCORE_MIN, AnswerChannel, FollowUpState, Survey, SurveyFollowUp, SurveyPolicy

EDIT_HOURS = 12
MAX_COMMENT_CHARS = 4000
MAX_DELAY_MINUTES = 60 * 24 * 30
SCAN_BATCH = 200
# The sweep looks back this far for resolutions whose after-commit planning never ran, and leaves
# the last minutes to the signal.
SWEEP_WINDOW = timedelta(hours=24)
SWEEP_GRACE = timedelta(minutes=2)


class SurveyClosed(DomainError):
    """The survey can no longer be answered or changed (expired, or answered too long ago)."""

    status_code = 409
    code = "survey_closed"


# --- Sampling -------------------------------------------------------------------------------


def sample_bucket(ticket_id: int) -> int:
    """0–99, fixed per ticket: a retried or repeated resolution is sampled the same way."""
    digest = hashlib.sha256(f"survey-sample:{ticket_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100


def is_sampled(ticket_id: int, percent: int) -> bool:
    return sample_bucket(ticket_id) < percent


def is_resolved_state(kind: str, state: str) -> bool:
    found = registry.state_of(kind, state)
    return bool(found and found.resolved)


# --- Policies -------------------------------------------------------------------------------

POLICY_FIELDS = {"active", "delay_minutes", "sample_percent", "expiry_days", "comment_required_at_or_below"}


def policy_errors(policy: SurveyPolicy) -> dict:
    errors = {}
    if registry.find(policy.kind) is None:
        errors["kind"] = _("Unknown kind of ticket.")
    if not 0 <= policy.delay_minutes <= MAX_DELAY_MINUTES:
        errors["delay_minutes"] = _("Give a delay between 0 minutes and 30 days.")
    if not 0 <= policy.sample_percent <= 100:
        errors["sample_percent"] = _("Give a share between 0 and 100.")
    if not 1 <= policy.expiry_days <= 90:
        errors["expiry_days"] = _("Give between 1 and 90 days.")
    if not 0 <= policy.comment_required_at_or_below <= SCORE_MAX:
        errors["comment_required_at_or_below"] = _("Give a score between 0 (never) and 5.")
    return errors


@service
def policy_save(*, actor: User, kind: str, expected_version: int | None = None, **fields) -> SurveyPolicy:
    """Create or edit the survey policy of one kind of ticket (service level managers, administrators)."""
    if not can_manage_policies(actor):
        raise NotPermitted(_("Only service level managers and administrators edit survey policies."))
    unknown = set(fields) - POLICY_FIELDS
    if unknown:
        raise ValidationError({name: _("This field cannot be changed here.") for name in sorted(unknown)})
    policy = SurveyPolicy.objects.select_for_update().filter(kind=kind).first()
    if policy is None:
        policy = SurveyPolicy(kind=kind)
    elif expected_version is not None and policy.version != expected_version:
        raise StaleVersion(current_version=policy.version)
    for name, value in fields.items():
        if name != "active" and (not isinstance(value, int) or isinstance(value, bool)):
            raise ValidationError({name: _("Give a whole number.")})
        setattr(policy, name, value)
    errors = policy_errors(policy)
    if errors:
        raise ValidationError(errors)
    if policy.pk:
        policy.version += 1
    policy.save()
    return policy


# --- Scheduling and invitations -------------------------------------------------------------


def _resolver_agent(ticket: Ticket, actor: User | None) -> User | None:
    if ticket.assignee_id:
        return ticket.assignee
    return actor if actor is not None and can_work_tickets(actor) else None


@service
def survey_schedule(*, ticket: Ticket, actor: User | None, resolved_at=None) -> Survey | None:
    """Plan the survey of a ticket that was just resolved, if its kind's policy asks for one.

    None when no active policy exists, when the requester resolved it themselves, or when the
    sample leaves it out. A ticket has one survey: resolved again after a reopening before the
    invitation went out, the invitation is planned again from the new resolution; once sent, the
    survey stays as it is.
    """
    policy = SurveyPolicy.objects.filter(kind=ticket.kind, active=True).first()
    if policy is None or (actor is not None and actor.pk == ticket.requester_id):
        return None
    if not is_sampled(ticket.pk, policy.sample_percent):
        return None
    resolved_at = resolved_at or ticket.resolved_at or timezone.now()
    survey = Survey.objects.select_for_update().filter(ticket=ticket).first()
    if survey is not None and survey.invited_at is not None:
        return survey
    survey = survey or Survey(ticket=ticket, kind=ticket.kind, requester_id=ticket.requester_id)
    survey.team_id = ticket.team_id
    survey.agent = _resolver_agent(ticket, actor)
    survey.service_id = ticket.service_id
    survey.resolved_at = resolved_at
    survey.due_at = resolved_at + timedelta(minutes=policy.delay_minutes)
    if survey.pk:
        survey.version += 1
    survey.save()
    return survey


def _send_invitation(survey: Survey, now) -> bool:
    """E-mail the survey link of a claimed, due survey; False when it no longer applies."""
    survey.due_at = None
    ticket = survey.ticket
    policy = SurveyPolicy.objects.filter(kind=survey.kind, active=True).first()
    if policy is None or not is_resolved_state(ticket.kind, ticket.state):
        # Reopened (a new resolution plans it again) or surveys switched off meanwhile.
        survey.save(update_fields=["due_at"])
        return False
    survey.expiry_days = policy.expiry_days
    survey.comment_required_at_or_below = policy.comment_required_at_or_below
    survey.invited_at = now
    survey.expires_at = now + timedelta(days=policy.expiry_days)
    survey.version += 1
    survey.save()
    notify(ticket=ticket, recipients=[survey.requester], reason="survey_invitation", context={
        "survey_url": links.survey_url(ticket_id=ticket.pk, days=policy.expiry_days),
        "expires_at": survey.expires_at, "expiry_days": policy.expiry_days,
    })
    return True


@service
def invitations_send_due(*, actor: User | None = None, now=None, limit: int = SCAN_BATCH) -> int:
    """The beat scan: claim due invitations (``FOR UPDATE SKIP LOCKED``) and send them. Returns how many."""
    now = now or timezone.now()
    due = list(Survey.objects.select_for_update(skip_locked=True, of=("self",))
               .select_related("ticket", "requester")
               .filter(due_at__lte=now).order_by("due_at", "id")[:limit])
    return sum(1 for survey in due if _send_invitation(survey, now))


def _resolution_condition() -> Q | None:
    """Tickets in a resolved state of a kind whose policy is active."""
    condition = None
    for kind in SurveyPolicy.objects.filter(active=True).values_list("kind", flat=True):
        process = registry.find(kind)
        states = [s.value for s in process.workflow.states if s.resolved] if process else []
        if states:
            part = Q(kind=kind, state__in=states)
            condition = part if condition is None else condition | part
    return condition


def _resolver_id(ticket: Ticket) -> int | None:
    """Who made the latest move into a resolved state, from the timeline (None: the system)."""
    entries = TimelineEntry.objects.filter(ticket=ticket, kind=EventKind.STATE).order_by("-at", "-id")
    for actor_id, target in entries.values_list("actor_id", "data__target")[:20]:
        if is_resolved_state(ticket.kind, target or ""):
            return actor_id
    return None


def surveys_sweep_missed(*, now=None, limit: int = 500) -> int:
    """Plan the surveys of recent resolutions whose after-commit planning never ran (a process died
    between the commit and the signal). Sampling is fixed per ticket, so a retry decides the same."""
    now = now or timezone.now()
    condition = _resolution_condition()
    if condition is None:
        return 0
    sampled = {p.kind: p.sample_percent for p in SurveyPolicy.objects.filter(active=True)}
    candidates = (Ticket.objects.filter(condition, resolved_at__gte=now - SWEEP_WINDOW,
                                        resolved_at__lt=now - SWEEP_GRACE, survey__isnull=True)
                  .select_related("assignee").order_by("resolved_at", "id")[:limit])
    planned = 0
    for ticket in candidates:
        if not is_sampled(ticket.pk, sampled.get(ticket.kind, 0)):
            continue
        actor_id = _resolver_id(ticket)
        actor = User.objects.filter(pk=actor_id).first() if actor_id else None
        if survey_schedule(ticket=ticket, actor=actor, resolved_at=ticket.resolved_at) is not None:
            planned += 1
    return planned


# --- Answers --------------------------------------------------------------------------------


def editable_until(survey: Survey):
    return survey.answered_at + timedelta(hours=EDIT_HOURS) if survey.answered_at else None


def can_answer(survey: Survey, now=None) -> bool:
    """Whether the survey takes an answer now: sent, not expired, and unanswered or within the edit window."""
    now = now or timezone.now()
    if survey.invited_at is None:
        return False
    if survey.answered_at is not None:
        return now <= editable_until(survey)
    return survey.expires_at is not None and now <= survey.expires_at


def _clean_answer(survey: Survey, score, comment: str) -> tuple[int, str]:
    errors = {}
    if not isinstance(score, int) or isinstance(score, bool) or not SCORE_MIN <= score <= SCORE_MAX:
        errors["score"] = _("Choose a score from 1 to 5.")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT_CHARS:
        errors["comment"] = _("Please keep your comment under 4,000 characters.")
    elif "\x00" in comment:
        errors["comment"] = _("The comment contains invalid characters.")
    elif "score" not in errors and not comment and score <= survey.comment_required_at_or_below:
        errors["comment"] = _("Please tell us what went wrong, so that we can do better.")
    if errors:
        raise ValidationError(errors)
    return score, comment


def _low_score_url(survey: Survey) -> str:
    return settings.SITE_URL + reverse("desk-surveys:low_score", args=[survey.pk])


@service
def survey_answer(*, survey: Survey, actor: User | None, score: int, comment: str = "",
                  via: str = AnswerChannel.PORTAL, now=None) -> Survey:
    """Store the requester's answer (or change it within ``EDIT_HOURS`` of the first answer).

    ``actor`` is the requester: signed in on the portal, or proven by the signed link they were
    e-mailed. A score of ``LOW_SCORE`` or less opens a follow-up and e-mails the team's lead.
    """
    now = now or timezone.now()
    survey = Survey.objects.select_for_update(of=("self",)).select_related("team__lead", "ticket").get(pk=survey.pk)
    if actor is not None and actor.pk != survey.requester_id:
        raise NotPermitted(_("Only the requester answers this survey."))
    if not can_answer(survey, now):
        if survey.answered_at is not None:
            raise SurveyClosed(_("Thank you: your answer is recorded and can no longer be changed."),
                               code="survey_answered")
        raise SurveyClosed(_("This survey is closed."), code="survey_expired")
    score, comment = _clean_answer(survey, score, comment)
    was_low = survey.is_low
    survey.score, survey.comment = score, comment
    survey.answered_at = survey.answered_at or now
    survey.answer_updated_at = now
    survey.answered_via = via
    if survey.is_low and not survey.followup_state:
        survey.followup_state = FollowUpState.OPEN
    elif not survey.is_low and survey.followup_state == FollowUpState.OPEN \
            and not survey.followups.exists():
        survey.followup_state = ""  # changed their mind before anyone acted: nothing to follow up
    survey.version += 1
    survey.save()
    if survey.is_low and not was_low:
        _notify_lead(survey)
    return survey


def _notify_lead(survey: Survey) -> None:
    lead = survey.team.lead if survey.team_id else None
    if lead is None:
        return  # still in the console's low-score queue
    # A lead without satisfaction rights cannot open the low-score page: the ticket's page instead.
    notify(ticket=survey.ticket, recipients=[lead], reason="survey_low_score", context={
        "score": survey.score, "survey_comment": survey.comment,
        "low_score_url": _low_score_url(survey) if can_view_satisfaction(lead) else "",
    })


# --- Follow-up of low scores ----------------------------------------------------------------


@service
def survey_follow_up(*, survey: Survey, actor: User, state: str, note: str, expected_version: int | None = None,
                     now=None) -> SurveyFollowUp:
    """Record that the requester was contacted, or close the follow-up, with a note."""
    if not can_view_satisfaction(actor):
        raise NotPermitted(_("Only team leads and service level managers follow up low scores."))
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if expected_version is not None and survey.version != expected_version:
        raise StaleVersion(current_version=survey.version)
    if not survey.followup_state:
        raise DomainError(_("Only low scores are followed up."), code="not_low_score")
    if survey.followup_state == FollowUpState.CLOSED:
        raise DomainError(_("This follow-up is closed."), code="followup_closed")
    errors = {}
    if state not in (FollowUpState.CONTACTED, FollowUpState.CLOSED):
        errors["state"] = _("Choose contacted or closed.")
    note = (note or "").strip()
    if not note:
        errors["note"] = _("Write what was done or agreed.")
    elif len(note) > MAX_COMMENT_CHARS or "\x00" in note:
        errors["note"] = _("Keep the note under 4,000 characters, without invalid characters.")
    if errors:
        raise ValidationError(errors)
    step = SurveyFollowUp.objects.create(survey=survey, state=state, note=note, actor=actor, at=now or timezone.now())
    survey.followup_state = state
    survey.version += 1
    survey.save(update_fields=["followup_state", "version"])
    return step
