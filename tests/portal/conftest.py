"""Portal fixtures: a logged-in requester, a colleague in the same organisation, ticket helpers."""

import pytest

from accounts import roles
from accounts.factories import UserFactory
from incidents import services
from incidents.choices import IncidentState, ResolutionCode


@pytest.fixture
def colleague(db, organisation):
    return UserFactory(username="carol", first_name="Carol", last_name="Yoon", organisation=organisation,
                       roles=[roles.REQUESTER])


@pytest.fixture
def portal(client, requester):
    client.force_login(requester)
    return client


@pytest.fixture
def resolve(agent):
    def do(ticket, notes="We replaced the network cable."):
        return services.incident_transition(ticket=ticket, actor=agent, to=IncidentState.RESOLVED,
                                            resolution_code=ResolutionCode.SOLVED_PERMANENTLY,
                                            resolution_notes=notes)

    return do
