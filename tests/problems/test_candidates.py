"""Proactive problem management: recurring-incident detection, acceptance and dismissal memory."""

from datetime import timedelta

import pytest
from django.utils import timezone

from esm.errors import DomainError, NotPermitted
from problems import services
from problems.choices import CandidateState
from problems.models import ProblemCandidate, ProblemIncident
from servicedesk.models import Notification, Ticket

pytestmark = pytest.mark.django_db


def detect(**kwargs):
    return services.candidates_detect(min_incidents=3, window_days=14, **kwargs)


def test_incidents_on_the_same_ci_become_a_candidate(incidents, ci, pm):
    result = detect()
    candidate = ProblemCandidate.objects.get(pk__in=result.proposed, reason="same_ci")
    assert candidate.ci == ci and candidate.incident_count == 3
    assert set(candidate.incidents.values_list("pk", flat=True)) == {i.pk for i in incidents}
    assert Notification.objects.filter(reason="problem_candidate", recipient=pm).exists()


def test_similar_text_clusters_too(make_incident):
    for n in range(3):
        make_incident(title=f"Printer #{n} on floor 3 is jammed!", description="")
    make_incident(title="Something else entirely", description="")
    result = detect()
    candidate = ProblemCandidate.objects.get(pk__in=result.proposed, reason="similar_text")
    assert candidate.incident_count == 3


def test_running_again_proposes_nothing_new(incidents):
    detect()
    assert detect().proposed == []
    assert ProblemCandidate.objects.filter(state="open").count() == 2  # same CI and similar titles


def test_fewer_than_n_or_outside_the_window_is_no_candidate(incidents):
    Ticket.objects.filter(pk=incidents[0].pk).update(opened_at=timezone.now() - timedelta(days=30))
    assert detect().proposed == []


def test_linked_incidents_are_left_out(problem, incidents):
    assert detect().proposed == []  # two of three are linked to a problem


def test_accepting_creates_the_problem_with_the_incidents(incidents, pm):
    candidate = ProblemCandidate.objects.get(pk__in=detect().proposed, reason="same_ci")
    ticket = services.candidate_accept(actor=pm, candidate=candidate)
    assert ProblemIncident.objects.filter(problem_id=ticket.pk).count() == 3
    candidate.refresh_from_db()
    assert candidate.state == CandidateState.ACCEPTED and candidate.problem_id == ticket.pk
    with pytest.raises(DomainError):
        services.candidate_accept(actor=pm, candidate=candidate)


def test_dismissal_is_remembered_until_new_incidents_recur(incidents, pm, make_incident, agent, ci):
    from servicedesk import services as desk

    for candidate in ProblemCandidate.objects.filter(pk__in=detect().proposed):
        services.candidate_dismiss(actor=pm, candidate=candidate)
    assert detect().proposed == []
    later = timezone.now() + timedelta(seconds=1)
    for n in range(3):
        ticket = make_incident(title=f"Calendar sync fails {n}")
        Ticket.objects.filter(pk=ticket.pk).update(opened_at=later)
        desk.ticket_link_cis(ticket=ticket, actor=agent, cis=[ci])
    again = ProblemCandidate.objects.get(pk__in=detect().proposed, reason="same_ci")
    assert again.incident_count == 3  # only the incidents after the dismissal


def test_only_problem_managers_decide(incidents, agent):
    candidate = ProblemCandidate.objects.get(pk__in=detect().proposed, reason="same_ci")
    with pytest.raises(NotPermitted):
        services.candidate_dismiss(actor=agent, candidate=candidate)


def test_the_beat_task_is_scheduled(settings):
    assert settings.CELERY_BEAT_SCHEDULE["problems.detect_candidates"]["task"] == "problems.detect_candidates"
