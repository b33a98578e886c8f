"""Fixtures for change tests: a change manager, CAB members, CABs with rules, and a change maker."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts import roles
from accounts.factories import UserFactory
from changes import services
from changes.choices import ChangeType
from changes.models import CabRule, ChangeTemplate
from cmdb.factories import CIFactory
from servicedesk.models import ApproverGroup

CHANGES = "/api/v1/changes/"


def url(number: str, action: str = "") -> str:
    return f"{CHANGES}{number}/" + (f"{action}/" if action else "")


@pytest.fixture
def manager(db):
    return UserFactory(username="cm", first_name="Chloe", last_name="Moon", roles=[roles.CHANGE_MANAGER])


@pytest.fixture
def cab_members(db):
    return [UserFactory(username=f"cab{i}", first_name=f"Cab{i}", last_name="Member", roles=[roles.CAB_MEMBER])
            for i in range(1, 4)]


@pytest.fixture
def chair(db):
    return UserFactory(username="chair", first_name="Cora", last_name="Chair", roles=[roles.CAB_MEMBER])


@pytest.fixture
def cab(db, cab_members, chair):
    group = ApproverGroup.objects.create(name="CAB", chair=chair)
    group.members.set([*cab_members, chair])
    return group


@pytest.fixture
def ecab(db, manager, chair):
    group = ApproverGroup.objects.create(name="Emergency CAB", chair=chair)
    group.members.set([manager, chair])
    return group


@pytest.fixture
def cab_rules(db, cab, ecab):
    return [
        CabRule.objects.create(change_type=ChangeType.NORMAL, group=cab, policy="any", order=1),
        CabRule.objects.create(change_type=ChangeType.EMERGENCY, group=ecab, policy="any", order=1),
    ]


@pytest.fixture
def template(db, team):
    return ChangeTemplate.objects.create(
        name="Patch a Linux server", title="Monthly OS patches", implementation_plan="apt upgrade; reboot",
        backout_plan="Restore the snapshot", test_plan="Smoke test", team=team, duration_minutes=90)


@pytest.fixture
def window():
    start = timezone.now() + timedelta(days=2)
    return start, start + timedelta(hours=2)


@pytest.fixture
def started_window():
    start = timezone.now() - timedelta(minutes=10)
    return start, start + timedelta(hours=2)


@pytest.fixture
def make_change(db, agent, team, manager):
    def make(**kwargs):
        kwargs.setdefault("actor", agent)
        kwargs.setdefault("title", "Upgrade the mail server")
        kwargs.setdefault("implementation_plan", "Upgrade in place")
        kwargs.setdefault("backout_plan", "Restore the snapshot")
        kwargs.setdefault("team", team)
        kwargs.setdefault("change_manager", manager)
        return services.change_create(**kwargs)

    return make


@pytest.fixture
def ci(db):
    return CIFactory(name="mail-01")
