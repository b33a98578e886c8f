"""Console clients for the change pages (the change fixtures come from tests/changes/conftest.py)."""

import pytest
from django.urls import reverse


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def agent_client(client, agent, team):
    client.force_login(agent)
    return client


@pytest.fixture
def manager_client(client, manager, team):
    client.force_login(manager)
    return client


def page(ticket, name: str = "detail", **kwargs) -> str:
    return reverse(f"desk-changes:{name}", args=[ticket.number], kwargs=kwargs or None)


def post_versioned(client, url, ticket, data=None, prefix=""):
    """POST an action form carrying the change's current version."""
    ticket.refresh_from_db()
    key = f"{prefix}-version" if prefix else "version"
    return client.post(url, {key: ticket.version, **(data or {})})
