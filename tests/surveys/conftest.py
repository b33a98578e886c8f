"""Fixtures for survey tests: a policy for incidents, resolving as an agent (with the after-commit
signal run), sending due invitations and the signed link of a survey."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import roles
from accounts.factories import UserFactory
from incidents import services as incidents
from incidents.choices import IncidentState
from surveys import links, services
from surveys.models import Survey, SurveyPolicy


@pytest.fixture
def slm(db):
    return UserFactory(username="slm", first_name="Sam", last_name="Level", roles=[roles.SERVICE_LEVEL_MANAGER])


@pytest.fixture
def policy(db):
    return SurveyPolicy.objects.create(kind="incident", delay_minutes=0, sample_percent=100, expiry_days=14,
                                       comment_required_at_or_below=2)


@pytest.fixture
def resolve(django_capture_on_commit_callbacks, team, agent):
    """Resolve an incident as ``actor`` (default: the team's agent), running what happens after commit."""

    def run(ticket, actor=None):
        actor = actor or agent
        with django_capture_on_commit_callbacks(execute=True):
            if ticket.assignee_id is None:
                incidents.incident_assign(ticket=ticket, actor=agent, team=team, assignee=agent)
            incidents.incident_transition(ticket=ticket, actor=actor, to=IncidentState.RESOLVED,
                                          resolution_code="solved_permanently",
                                          resolution_notes="Restarted the service.")
        ticket.refresh_from_db()
        return Survey.objects.filter(ticket=ticket).first()

    return run


@pytest.fixture
def invited(make_incident, resolve, policy, django_capture_on_commit_callbacks):
    """A survey whose invitation has been e-mailed."""

    def make(**kwargs):
        ticket = make_incident(**kwargs)
        survey = resolve(ticket)
        with django_capture_on_commit_callbacks(execute=True):
            services.invitations_send_due(now=timezone.now() + timedelta(seconds=1))
        survey.refresh_from_db()
        return survey

    return make


def token_of(survey: Survey) -> str:
    return links.make_token(ticket_id=survey.ticket_id, days=survey.expiry_days)


def link_of(survey: Survey) -> str:
    return f"/portal/survey/{token_of(survey)}/"
