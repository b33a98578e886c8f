"""Fixtures for fault and bad-input tests: a service level manager and a broker that is down."""

import kombu.exceptions
import pytest
from celery.app.task import Task

from accounts import roles
from accounts.factories import UserFactory


@pytest.fixture
def slm(db):
    return UserFactory(username="slm", first_name="Sam", last_name="Level", roles=[roles.SERVICE_LEVEL_MANAGER])


@pytest.fixture
def broker_down(monkeypatch):
    """Every task publish fails as it does with Redis stopped; returns the list of attempts."""
    attempts = []

    def refuse(self, args=None, kwargs=None, **options):
        attempts.append(self.name)
        raise kombu.exceptions.OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(Task, "apply_async", refuse)
    return attempts
