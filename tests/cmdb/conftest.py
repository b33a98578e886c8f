"""Fixtures for the CMDB: people in the three roles that matter (editor, reader, refused) and graph helpers."""

import pytest

from accounts import roles
from accounts.factories import UserFactory
from cmdb.factories import CIFactory, RelationshipFactory
from cmdb.models import CIClass, RelationshipType


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def config_manager(db):
    return UserFactory(username="config", first_name="Cora", last_name="Yoon", roles=[roles.CONFIGURATION_MANAGER])


@pytest.fixture
def administrator(db):
    return UserFactory(username="admin1", roles=[roles.ADMINISTRATOR])


@pytest.fixture
def cls(db):
    """CI classes by slug."""
    return {c.slug: c for c in CIClass.objects.all()}


@pytest.fixture
def rel_types(db):
    return {t.slug: t for t in RelationshipType.objects.all()}


@pytest.fixture
def graph(db, rel_types):
    """Build CIs and edges from a compact spec: ``graph("a>b", "b>c")`` makes a depends on b, b on c."""

    def build(*edges, kind="depends_on", **ci_kwargs):
        nodes = {}

        def node(name):
            if name not in nodes:
                nodes[name] = CIFactory(name=name, **ci_kwargs)
            return nodes[name]

        for edge in edges:
            source, target = edge.split(">")
            RelationshipFactory(source=node(source), target=node(target), type=rel_types[kind])
        return nodes

    return build
