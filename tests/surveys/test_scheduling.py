"""A survey is planned when a ticket enters a resolved state, if the kind's policy samples it."""

from datetime import timedelta

from django.utils import timezone

from incidents import services as incidents
from incidents.choices import IncidentState
from servicedesk import signals
from servicedesk.models import Ticket
from surveys import services
from surveys.models import Survey


def test_resolving_plans_a_survey_with_who_and_what_it_is_about(make_incident, resolve, policy, team, agent,
                                                                  service):
    policy.delay_minutes = 90
    policy.save()
    ticket = make_incident(service=service)
    survey = resolve(ticket)
    assert survey is not None
    assert (survey.team, survey.agent, survey.service, survey.requester) == (team, agent, service, ticket.requester)
    assert survey.due_at == ticket.resolved_at + timedelta(minutes=90)
    assert survey.invited_at is None and survey.score is None


def test_no_policy_or_an_inactive_one_plans_nothing(make_incident, resolve, policy):
    policy.active = False
    policy.save()
    assert resolve(make_incident()) is None
    policy.delete()
    assert resolve(make_incident()) is None


def test_nothing_when_the_requester_resolved_it_themselves(make_incident, requester, policy,
                                                          django_capture_on_commit_callbacks):
    ticket = make_incident()
    with django_capture_on_commit_callbacks(execute=True):
        signals.ticket_state_changed.send(sender=Ticket, ticket_id=ticket.pk, source="in_progress",
                                          target="resolved", at=timezone.now(), actor_id=requester.pk)
    assert not Survey.objects.filter(ticket=ticket).exists()
    # The same move by someone else plans it: the actor made the difference.
    signals.ticket_state_changed.send(sender=Ticket, ticket_id=ticket.pk, source="in_progress",
                                      target="resolved", at=timezone.now(), actor_id=None)
    assert Survey.objects.filter(ticket=ticket).exists()


def test_closing_a_resolved_ticket_is_not_a_new_resolution(make_incident, resolve, policy, agent,
                                                          django_capture_on_commit_callbacks):
    ticket = make_incident()
    survey = resolve(ticket)
    Survey.objects.filter(pk=survey.pk).update(due_at=None)  # as if already handled
    with django_capture_on_commit_callbacks(execute=True):
        incidents.incident_transition(ticket=ticket, actor=agent, to=IncidentState.CLOSED)
    survey.refresh_from_db()
    assert survey.due_at is None and Survey.objects.filter(ticket=ticket).count() == 1


def test_sampling_is_fixed_per_ticket_and_close_to_the_share():
    chosen = [services.is_sampled(ticket_id, 30) for ticket_id in range(1, 2001)]
    assert 0.26 < sum(chosen) / len(chosen) < 0.34
    assert chosen == [services.is_sampled(ticket_id, 30) for ticket_id in range(1, 2001)]
    assert not any(services.is_sampled(t, 0) for t in range(1, 200))
    assert all(services.is_sampled(t, 100) for t in range(1, 200))


def test_a_ticket_left_out_by_the_sample_stays_out_when_resolved_again(make_incident, resolve, policy, agent,
                                                                       django_capture_on_commit_callbacks):
    policy.sample_percent = 50
    policy.save()
    tickets = [make_incident() for _ in range(8)]
    first = {t.pk: resolve(t) is not None for t in tickets}
    assert set(first.values()) == {True, False}  # 8 tickets at 50 percent: some in, some out
    for t in tickets:
        with django_capture_on_commit_callbacks(execute=True):
            incidents.incident_transition(ticket=t, actor=agent, to=IncidentState.IN_PROGRESS, note="again")
    again = {t.pk: resolve(t) is not None for t in tickets}
    assert again == first
    assert Survey.objects.filter(ticket__in=tickets).count() == sum(first.values())


def test_a_reopened_ticket_is_not_invited_and_a_new_resolution_plans_it_again(
        make_incident, resolve, policy, agent, django_capture_on_commit_callbacks):
    ticket = make_incident()
    survey = resolve(ticket)
    with django_capture_on_commit_callbacks(execute=True):
        incidents.incident_transition(ticket=ticket, actor=agent, to=IncidentState.IN_PROGRESS, note="not fixed")
        sent = services.invitations_send_due(now=timezone.now() + timedelta(minutes=1))
    survey.refresh_from_db()
    assert sent == 0 and survey.due_at is None and survey.invited_at is None
    survey = resolve(ticket)
    assert survey.due_at is not None and Survey.objects.filter(ticket=ticket).count() == 1
