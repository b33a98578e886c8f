"""Articles: lifecycle, versions (one current, also under concurrent publishes), publishing through approval."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, close_old_connections, connection, transaction

from esm.errors import NotPermitted, StaleVersion
from knowledge import services
from knowledge.choices import ArticleState, TaskType, VersionState
from knowledge.models import Article, ArticleVersion, KnowledgeTask
from servicedesk import approvals
from servicedesk.approvals import ApprovalRefused


def states(article):
    return list(article.versions.order_by("number").values_list("number", "state"))


def test_create_is_a_draft_with_its_first_version(agent, public_base):
    article = services.article_create(actor=agent, knowledge_base=public_base, title="  VPN  ", body="Connect.",
                                      tags="VPN, remote ,vpn")
    assert article.state == ArticleState.DRAFT and article.owner == agent
    assert article.tags == ["vpn", "remote"]
    assert states(article) == [(1, VersionState.DRAFT)]
    assert article.current_version is None


def test_requester_cannot_write(requester, public_base):
    with pytest.raises(NotPermitted):
        services.article_create(actor=requester, knowledge_base=public_base, title="x")


def test_blank_title_is_a_field_error(agent, public_base):
    with pytest.raises(ValidationError) as exc:
        services.article_create(actor=agent, knowledge_base=public_base, title="  ")
    assert "title" in exc.value.message_dict


def test_edit_makes_a_version_and_readers_keep_the_current_one(agent, other_agent, make_article):
    article = make_article(title="VPN", body="Old steps")
    assert states(article) == [(1, VersionState.CURRENT)]
    services.article_edit(actor=other_agent, article=article, body="New steps", note="Clearer")
    article.refresh_from_db()
    assert article.body == "Old steps" and article.state == ArticleState.PUBLISHED
    assert states(article) == [(1, VersionState.CURRENT), (2, VersionState.DRAFT)]
    services.article_transition(actor=other_agent, article=article, action="publish")
    article.refresh_from_db()
    assert article.body == "New steps"
    assert states(article) == [(1, VersionState.OUTDATED), (2, VersionState.CURRENT)]
    assert article.current_version.number == 2 and article.current_version.published_by == other_agent


def test_metadata_edit_makes_no_version(agent, make_article):
    article = make_article()
    services.article_edit(actor=agent, article=article, language="en")
    assert article.versions.count() == 1


def test_stale_edit_is_refused(agent, make_article):
    article = make_article()
    with pytest.raises(StaleVersion):
        services.article_edit(actor=agent, article=article, expected_version=article.version - 1, body="x")


def test_publish_sets_default_valid_to_and_review_due(agent, make_article, settings):
    article = make_article()
    assert article.valid_to is not None and article.review_due_at is not None
    days = (article.valid_to - article.published_at.date()).days
    assert days == settings.KNOWLEDGE_VALID_DAYS


def test_retire_is_for_the_owner_or_a_manager(agent, other_agent, manager, make_article):
    article = make_article()
    with pytest.raises(services.ArticleConflict):
        services.article_transition(actor=other_agent, article=article, action="retire")
    services.article_transition(actor=manager, article=article, action="retire")
    article.refresh_from_db()
    assert article.state == ArticleState.RETIRED and article.review_due_at is None
    with pytest.raises(services.ArticleConflict):
        services.article_edit(actor=agent, article=article, body="again")


def test_editing_a_version_in_review_is_refused(agent, make_article):
    article = make_article(publish=False)
    services.article_transition(actor=agent, article=article, action="submit")
    with pytest.raises(services.ArticleConflict) as exc:
        services.article_edit(actor=agent, article=article, body="changed")
    assert exc.value.code == "article_in_review"
    services.article_transition(actor=agent, article=article, action="send_back")
    article.refresh_from_db()
    assert article.state == ArticleState.DRAFT


def test_the_database_refuses_a_second_current_version(make_article):
    article = make_article()
    with pytest.raises(IntegrityError), transaction.atomic():
        ArticleVersion.objects.create(article=article, number=9, title="x", author=article.owner,
                                      state=VersionState.CURRENT)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_publishes_leave_exactly_one_current_version(agent, other_agent, public_base):
    article = services.article_create(actor=agent, knowledge_base=public_base, title="VPN", body="v1")
    services.article_transition(actor=agent, article=article, action="publish")
    services.article_edit(actor=agent, article=article, body="v2")
    barrier = threading.Barrier(4)
    outcomes, errors = [], []

    def worker(actor):
        try:
            barrier.wait()
            services.article_transition(actor=actor, article=Article.objects.get(pk=article.pk), action="publish")
            outcomes.append("published")
        except services.ArticleConflict:
            outcomes.append("refused")  # the other publisher was first: nothing left to publish
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=worker, args=(actor,)) for actor in (agent, other_agent, agent, other_agent)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(outcomes) == ["published", "refused", "refused", "refused"]
    assert ArticleVersion.objects.filter(article=article, state=VersionState.CURRENT).count() == 1
    article.refresh_from_db()
    assert article.current_version.number == 2 and article.body == "v2"


# --- Publishing through the approval engine ---------------------------------------------------


def submit_for_approval(agent, approval_base):
    article = services.article_create(actor=agent, knowledge_base=approval_base, title="GPU server", body="Book it.")
    assert "publish" not in [a.name for a in services.article_actions(article, agent)]
    services.article_transition(actor=agent, article=article, action="submit")
    task = KnowledgeTask.objects.select_related("ticket").get(article=article, task_type=TaskType.PUBLICATION)
    return Article.objects.get(pk=article.pk), task.ticket


def test_approval_publishes_and_closes_the_task(agent, manager, approval_base):
    article, ticket = submit_for_approval(agent, approval_base)
    assert article.state == ArticleState.REVIEW and ticket.number.startswith("KBT")
    with pytest.raises(services.ArticleConflict):
        services.article_transition(actor=agent, article=article, action="publish")
    approvals.approval_vote(actor=manager, ticket=ticket, decision="approve")
    article.refresh_from_db()
    ticket.refresh_from_db()
    assert article.state == ArticleState.PUBLISHED and article.current_version.published_by == manager
    assert ticket.state == "done" and not ticket.active


def test_rejection_sends_the_version_back(agent, manager, approval_base):
    article, ticket = submit_for_approval(agent, approval_base)
    approvals.approval_vote(actor=manager, ticket=ticket, decision="reject", comment="Add the booking link.")
    article.refresh_from_db()
    assert article.state == ArticleState.DRAFT and states(article) == [(1, VersionState.DRAFT)]


def test_the_author_cannot_approve_their_own_version(manager, approval_base):
    from accounts import roles
    from accounts.factories import UserFactory

    with pytest.raises(ValidationError):  # the only knowledge manager wrote it: nobody may approve
        submit_for_approval(manager, approval_base)
    UserFactory(username="km2", roles=[roles.KNOWLEDGE_MANAGER])
    article, ticket = submit_for_approval(manager, approval_base)
    with pytest.raises(ApprovalRefused):
        approvals.approval_vote(actor=manager, ticket=ticket, decision="approve")


def test_send_back_cancels_the_approval_and_the_task(agent, manager, approval_base):
    article, ticket = submit_for_approval(agent, approval_base)
    services.article_transition(actor=agent, article=article, action="send_back")
    ticket.refresh_from_db()
    assert ticket.state == "cancelled"
    assert approvals.approval_overview(ticket, agent)["rounds"][0]["state"] == "cancelled"
