"""The demo's satisfaction surveys for ``manage.py seed_demo``: policies, and answered surveys for the
resolved demo incidents, spread over their months, teams and agents, with some low scores followed up.

Everything goes through the survey services, each at the instant it happens in the story (the
services take ``now``): the invitation is sent when it falls due after the incident's resolution,
the requester answers hours later, and the lead follows up a low score the next day. So the CSAT
page and the low-score queue have history. Idempotent: nothing is added while a survey exists.
"""

import random
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from accounts.roles import can_view_satisfaction
from incidents.demo import NOT_SENT_NOTE, outbox_only
from servicedesk import registry
from servicedesk.choices import TicketKind
from servicedesk.models import Notification, Ticket

from . import services
from .models import FollowUpState, Survey, SurveyPolicy

POLICIES = {  # kind: delay (minutes), sample (percent), expiry (days), comment required at or below
    TicketKind.INCIDENT: (60, 80, 14, 2),
    TicketKind.REQUEST: (0, 100, 14, 2),
}
# Score weights (1 … 5) per agent, so that teams and agents differ on the CSAT page.
WEIGHTS = {"agent": (1, 1, 4, 14, 30), "agent2": (1, 2, 6, 14, 18), "fieldtech": (3, 4, 8, 12, 10),
           "netops": (1, 2, 5, 15, 20), "appdev": (2, 3, 7, 13, 12)}
DEFAULT_WEIGHTS = (2, 2, 6, 12, 16)
COMMENTS = {
    "en": {1: "Nobody told me what was happening for days.", 2: "It took far too long and I had to chase it.",
           3: "Fixed in the end.", 4: "Quick and friendly, thank you.", 5: "Excellent, solved within the hour!"},
    "ko": {1: "며칠 동안 진행 상황을 전혀 알려주지 않았습니다.", 2: "너무 오래 걸렸고 계속 문의해야 했습니다.",
           3: "결국 해결되었습니다.", 4: "빠르고 친절했습니다. 감사합니다.",
           5: "한 시간 안에 해결해 주셔서 정말 좋았습니다!"},
}
FOLLOW_UP_NOTES = {
    FollowUpState.CONTACTED: "Called the requester, apologised and explained the delay.",
    FollowUpState.CLOSED: "Agreed with the requester; the hand-over between teams is now checked daily.",
}


def seed(*, limit: int = 200) -> dict:
    """Create the policies and the surveys of the newest ``limit`` resolved demo incidents."""
    if Survey.objects.exists() or SurveyPolicy.objects.exists():
        return {}
    manager = User.objects.filter(username="slm").first()
    if manager is None:
        return {}
    with transaction.atomic(), outbox_only():
        for kind, (delay, sample, expiry, comment_at) in POLICIES.items():
            if registry.find(kind):
                services.policy_save(actor=manager, kind=kind, delay_minutes=delay, sample_percent=sample,
                                     expiry_days=expiry, comment_required_at_or_below=comment_at)
        tickets = list(Ticket.objects.filter(kind=TicketKind.INCIDENT, resolved_at__isnull=False,
                                             assignee__isnull=False)
                       .exclude(assignee=F("requester")).select_related("assignee", "requester", "team__lead")
                       .order_by("-resolved_at")[:limit])
        surveys = [s for t in sorted(tickets, key=lambda t: t.resolved_at)
                   if (s := services.survey_schedule(ticket=t, actor=t.assignee, resolved_at=t.resolved_at))]
        counts = _play(surveys, manager)
        Notification.objects.filter(reason__in=["survey_invitation", "survey_low_score"], sent_at__isnull=True) \
            .update(sent_at=F("created_at"), last_error=NOT_SENT_NOTE)
    return counts


def _play(surveys: list[Survey], manager: User) -> dict:
    rng = random.Random(15)
    now = timezone.now()
    counts = {"surveys": len(surveys), "answered": 0, "low": 0}
    for survey in sorted(surveys, key=lambda s: (s.due_at, s.pk)):
        if survey.due_at > now:
            continue  # not due yet: the beat sends it
        services.invitations_send_due(now=survey.due_at)  # this one, at the instant it falls due
        survey.refresh_from_db()
        if survey.invited_at is None or rng.random() > 0.75:
            continue  # a quarter never answer (their surveys expire)
        agent = survey.agent.username if survey.agent_id else ""
        score = rng.choices(range(1, 6), weights=WEIGHTS.get(agent, DEFAULT_WEIGHTS))[0]
        language = "ko" if survey.requester.language == "ko" else "en"
        comment = COMMENTS[language][score] if score <= 3 or rng.random() < 0.4 else ""
        answered_at = survey.invited_at + timedelta(hours=rng.uniform(0.5, 40))
        if answered_at > now:
            continue
        services.survey_answer(survey=survey, actor=survey.requester, score=score, comment=comment,
                               via=rng.choice(["link", "link", "portal"]), now=answered_at)
        counts["answered"] += 1
        if score <= 2:
            counts["low"] += 1
            _follow_up(survey, answered_at, rng, now, manager)
    return counts


def _follow_up(survey: Survey, answered_at, rng: random.Random, now, manager: User) -> None:
    """Older low scores were followed up by the team's lead, or the service level manager where the
    lead cannot see satisfaction results; newer ones wait in the queue."""
    if answered_at > now - timedelta(days=3) or rng.random() < 0.2:
        return
    survey.refresh_from_db()
    lead = survey.team.lead if survey.team_id else None
    actor = lead if lead is not None and can_view_satisfaction(lead) else manager
    steps = [FollowUpState.CONTACTED] + ([FollowUpState.CLOSED] if rng.random() < 0.6 else [])
    for day, state in enumerate(steps, start=1):
        services.survey_follow_up(survey=survey, actor=actor, state=state, note=FOLLOW_UP_NOTES[state],
                                  now=answered_at + timedelta(days=day))
