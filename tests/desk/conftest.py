"""Fixtures for the agent console: logged-in clients and a few incidents in known states."""

import pytest

from cmdb.factories import CIFactory
from incidents import services
from incidents.choices import IncidentState
from servicedesk.models import Category


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # PBKDF2 costs ~0.3 s per user made by the factories; these tests never check a password.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def agent_client(client, agent, team):
    client.force_login(agent)
    return client


@pytest.fixture
def requester_client(client, requester):
    client.force_login(requester)
    return client


@pytest.fixture
def category(db):
    return Category.objects.get(name="VPN")


@pytest.fixture
def server_ci(db):
    return CIFactory(name="mail-server-01")


@pytest.fixture
def incident(make_incident, service):
    """A new P3 incident routed to the service desk team."""
    return make_incident(title="Mail is slow", description="Since **this morning**.", service=service)


@pytest.fixture
def in_progress(incident, agent):
    return services.incident_transition(ticket=incident, actor=agent, to=IncidentState.IN_PROGRESS)


def post_versioned(client, url, ticket, data=None, prefix=""):
    """POST an action form carrying the ticket's current version."""
    ticket.refresh_from_db()
    key = f"{prefix}-version" if prefix else "version"
    return client.post(url, {key: ticket.version, **(data or {})})
