"""Fixtures for knowledge tests: a knowledge manager, knowledge bases of each kind, an article maker."""

import pytest

from accounts import roles
from accounts.factories import UserFactory
from knowledge import services
from knowledge.choices import Audience, PublishingPolicy
from knowledge.models import Article, KnowledgeBase

ARTICLES = "/api/v1/knowledge/articles/"


@pytest.fixture
def manager(db):
    return UserFactory(username="km", first_name="Kevin", last_name="Jung", roles=[roles.KNOWLEDGE_MANAGER])


@pytest.fixture
def public_base(db):
    return KnowledgeBase.objects.create(name="IT help", audience=Audience.PUBLIC, publishing=PublishingPolicy.INSTANT)


@pytest.fixture
def approval_base(db):
    return KnowledgeBase.objects.create(name="Lab guides", audience=Audience.PUBLIC,
                                        publishing=PublishingPolicy.APPROVAL)


@pytest.fixture
def internal_base(db):
    return KnowledgeBase.objects.create(name="Runbooks", audience=Audience.INTERNAL,
                                        publishing=PublishingPolicy.INSTANT)


@pytest.fixture
def make_article(db, agent, public_base):
    def make(title="Reset your password", body="Go to the password page.", *, publish=True, base=None,
             actor=None, **kwargs) -> Article:
        actor = actor or agent
        article = services.article_create(actor=actor, knowledge_base=base or public_base, title=title, body=body,
                                          **kwargs)
        if publish:
            services.article_transition(actor=actor, article=article, action="publish")
        return Article.objects.get(pk=article.pk)

    return make


@pytest.fixture
def agent_client(client, agent, team):
    client.force_login(agent)
    return client
