"""Fixtures for SLA tests: run on-commit work (clock recomputes) as it would after a real commit."""

from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
import time_machine

from accounts import roles
from accounts.factories import UserFactory
from sla import definitions as sla_definitions
from sla.calendar import clear_cache

MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday; the default business calendar is UTC 09-17


@pytest.fixture(autouse=True)
def _fresh_caches():
    clear_cache()
    sla_definitions._DEFINITIONS = None
    yield
    clear_cache()
    sla_definitions._DEFINITIONS = None


@pytest.fixture
def at(django_capture_on_commit_callbacks):
    """``with at(moment): ...`` runs the block at ``moment`` (frozen) and then its on-commit callbacks."""

    @contextmanager
    def travel(moment):
        with time_machine.travel(moment, tick=False), django_capture_on_commit_callbacks(execute=True):
            yield

    return travel


@pytest.fixture
def slm(db):
    return UserFactory(username="slm", first_name="Sam", last_name="Level", roles=[roles.SERVICE_LEVEL_MANAGER])
