"""Fixtures for problem tests: a problem manager, incidents on a CI, known errors."""

import pytest

from accounts import roles
from accounts.factories import UserFactory
from cmdb.factories import CIFactory
from problems import services

PROBLEMS = "/api/v1/problems/"


def url(number: str, action: str = "") -> str:
    return f"{PROBLEMS}{number}/" + (f"{action}/" if action else "")


@pytest.fixture
def pm(db):
    return UserFactory(username="pm", first_name="Paula", last_name="Min", roles=[roles.PROBLEM_MANAGER])


@pytest.fixture
def ci(db):
    return CIFactory(name="mail-01")


@pytest.fixture
def incidents(make_incident, agent, ci):
    made = [make_incident(title=f"Mail bounces {i}", description="Outlook shows bounce errors") for i in range(3)]
    for ticket in made:
        from servicedesk import services as desk

        desk.ticket_link_cis(ticket=ticket, actor=agent, cis=[ci])
    return made


@pytest.fixture
def problem(pm, incidents):
    return services.problem_create(actor=pm, incidents=incidents[:2], impact=2, urgency=2)


@pytest.fixture
def make_known_error(pm):
    def make(**fields):
        fields.setdefault("symptoms", "Something is wrong")
        return services.known_error_save(actor=pm, **fields)

    return make
