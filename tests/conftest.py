"""Shared fixtures: people in every role, a team, a service, API clients, eager Celery."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import roles
from accounts.factories import OrganisationFactory, TeamFactory, UserFactory
from cmdb.factories import ServiceFactory
from esm.celery import app as celery_app
from incidents.factories import IncidentFactory


@pytest.fixture(autouse=True)
def _eager_celery(settings, tmp_path):
    # The app reads settings with the CELERY_ namespace, so its keys carry the prefix.
    celery_app.conf.update(CELERY_TASK_ALWAYS_EAGER=True, CELERY_TASK_EAGER_PROPAGATES=True)
    settings.MEDIA_ROOT = tmp_path / "media"
    # PBKDF2 costs ~0.3 s per user here; tests need no real hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {**settings.STORAGES,
                         "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
    # Throttle counters: per test, in memory.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import cache

    cache.clear()
    from servicedesk import page_cache

    page_cache.clear_local()
    yield


@pytest.fixture
def organisation(db):
    return OrganisationFactory(name="Finance")


@pytest.fixture
def requester(db, organisation):
    return UserFactory(username="alice", first_name="Alice", last_name="Kim", organisation=organisation,
                       roles=[roles.REQUESTER])


@pytest.fixture
def other_requester(db):
    return UserFactory(username="bob", first_name="Bob", last_name="Lee",
                       organisation=OrganisationFactory(name="Sales"), roles=[roles.REQUESTER])


@pytest.fixture
def lead(db):
    return UserFactory(username="lead", first_name="Lena", last_name="Park", roles=[roles.TEAM_LEAD])


@pytest.fixture
def agent(db):
    return UserFactory(username="agent", first_name="Adam", last_name="Choi", roles=[roles.AGENT])


@pytest.fixture
def other_agent(db):
    return UserFactory(username="agent2", first_name="Eve", last_name="Han", roles=[roles.AGENT])


@pytest.fixture
def team(db, agent, lead):
    return TeamFactory(name="Service Desk", lead=lead, members=[agent, lead], email="desk@example.com")


@pytest.fixture
def other_team(db, other_agent):
    return TeamFactory(name="Network", members=[other_agent])


@pytest.fixture
def service(db, team):
    return ServiceFactory(name="E-mail", support_team=team)


@pytest.fixture
def make_incident(db, requester):
    def make(**kwargs):
        kwargs.setdefault("requester", requester)
        kwargs.setdefault("actor", kwargs["requester"])
        return IncidentFactory(**kwargs)

    return make


def api_client_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(db):
    return api_client_for
