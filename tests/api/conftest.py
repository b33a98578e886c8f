"""Fixtures for the REST API tests: clients per person, a CI, and small request helpers."""

import pytest

from cmdb.factories import CIFactory

INCIDENTS = "/api/v1/incidents/"


def url(number: str, action: str = "") -> str:
    return f"{INCIDENTS}{number}/" + (f"{action}/" if action else "")


@pytest.fixture
def agent_api(api, agent, team):
    return api(agent)


@pytest.fixture
def requester_api(api, requester):
    return api(requester)


@pytest.fixture
def other_requester_api(api, other_requester):
    return api(other_requester)


@pytest.fixture
def anonymous_api(api):
    return api(None)


@pytest.fixture
def ci(db):
    return CIFactory(name="mail-01")


@pytest.fixture
def incident(make_incident, service):
    """A new P3 incident of the requester's, routed to the service desk team."""
    return make_incident(title="Mail is down", description="Since 9am", impact=2, urgency=2, service=service)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Factories hash a password per user; the production hasher costs ~0.3 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
