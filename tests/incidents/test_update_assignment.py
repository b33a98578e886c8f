"""incident_update takes team and assignee with the fields: one call, all or nothing, the API's rule."""

import pytest
from django.core.exceptions import ValidationError

from incidents import services


@pytest.fixture
def assigned(make_incident, agent, team):
    ticket = make_incident()
    return services.incident_assign(ticket=ticket, actor=agent, team=team, assignee=agent)


def test_a_new_team_starts_without_an_assignee(assigned, agent, other_team):
    ticket = assigned
    services.incident_update(ticket=ticket, actor=agent, title="Renamed", team=other_team)
    ticket.refresh_from_db()
    assert (ticket.title, ticket.team, ticket.assignee) == ("Renamed", other_team, None)


def test_the_same_team_keeps_its_assignee(assigned, agent, team):
    ticket = assigned
    services.incident_update(ticket=ticket, actor=agent, team=team, urgency=1)
    ticket.refresh_from_db()
    assert (ticket.team, ticket.assignee, ticket.incident.urgency) == (team, agent, 1)


def test_a_refused_assignment_leaves_the_fields_alone(assigned, agent, team, other_team, requester):
    ticket = assigned
    with pytest.raises(ValidationError):
        services.incident_update(ticket=ticket, actor=agent, title="Renamed", team=other_team, assignee=requester)
    ticket.refresh_from_db()
    assert ticket.title != "Renamed" and ticket.team == team
