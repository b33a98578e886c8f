"""Expiry and review tasks (the beat scan), feedback and feedback tasks, incidents resolved by an article."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from knowledge import services
from knowledge.choices import TaskType
from knowledge.models import Article, KnowledgeTask
from knowledge.queries import articles_visible_to
from knowledge.tasks import open_review_tasks
from servicedesk.models import Ticket


def tasks(article, task_type):
    return KnowledgeTask.objects.filter(article=article, task_type=task_type).select_related("ticket")


def test_review_task_opens_30_days_before_expiry_once(agent, team, make_article):
    article = make_article()
    soon = timezone.localdate() + timedelta(days=20)
    services.article_edit(actor=agent, article=article, valid_to=soon)
    article.refresh_from_db()
    assert article.review_due_at <= timezone.now()
    assert open_review_tasks() == 1
    task = tasks(article, TaskType.REVIEW).get()
    assert task.ticket.number.startswith("KBT") and task.ticket.requester == agent
    assert task.ticket.assignee == agent and task.ticket.team == team  # the owner's team
    assert open_review_tasks() == 0  # the mark is cleared: one task
    assert tasks(article, TaskType.REVIEW).count() == 1


def test_no_review_task_before_the_notice_period(make_article):
    article = make_article()  # valid for twelve months
    assert services.review_tasks_open() == 0
    assert not tasks(article, TaskType.REVIEW).exists()


def test_expired_article_leaves_the_portal_but_not_the_console(agent, requester, make_article):
    article = make_article()
    assert articles_visible_to(requester).filter(pk=article.pk).exists()
    Article.objects.filter(pk=article.pk).update(valid_to=timezone.localdate() - timedelta(days=1))
    assert not articles_visible_to(requester).filter(pk=article.pk).exists()
    assert articles_visible_to(agent).filter(pk=article.pk).exists()


def test_agent_closes_a_review_task(agent, make_article):
    article = make_article(valid_to=timezone.localdate() + timedelta(days=3))
    services.review_tasks_open()
    ticket = tasks(article, TaskType.REVIEW).get().ticket
    services.task_transition(actor=agent, ticket=ticket, target="done", expected_version=ticket.version,
                             note="Extended")
    ticket.refresh_from_db()
    assert ticket.state == "done" and ticket.closed_at is not None


@pytest.mark.parametrize(("answer", "opens_task"), [
    ({"helpful": False, "comment": "Still broken"}, True),
    ({"rating": 2}, True),
    ({"flagged": True, "comment": "Wrong menu name"}, True),
    ({"helpful": True, "rating": 5}, False),
    ({"rating": 3}, False),
])
def test_feedback_opens_a_task_on_no_low_rating_or_flag(requester, make_article, answer, opens_task):
    article = make_article()
    services.feedback_add(actor=requester, article=article, **answer)
    assert tasks(article, TaskType.FEEDBACK).exists() is opens_task


def test_more_feedback_goes_to_the_open_task(requester, other_requester, make_article):
    article = make_article()
    services.feedback_add(actor=requester, article=article, helpful=False)
    services.feedback_add(actor=other_requester, article=article, rating=1, comment="Useless")
    ticket = tasks(article, TaskType.FEEDBACK).get().ticket
    notes = [e.data.get("note_params", {}).get("summary") for e in ticket.timeline.all()]
    assert any("Useless" in (n or "") for n in notes)
    article.refresh_from_db()
    assert (article.unhelpful_count, article.rating_count, article.rating) == (1, 1, 1.0)


def test_feedback_needs_an_answer_and_a_flag_needs_words(requester, make_article):
    article = make_article()
    with pytest.raises(ValidationError):
        services.feedback_add(actor=requester, article=article)
    with pytest.raises(ValidationError) as exc:
        services.feedback_add(actor=requester, article=article, flagged=True)
    assert "comment" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.feedback_add(actor=requester, article=article, rating=6)


def test_resolved_by_this_article_is_counted(agent, make_article, make_incident):
    article = make_article()
    incident = make_incident(title="Outlook asks for my password")
    services.ticket_article_attach(actor=agent, ticket=incident, article=article, resolved=True)
    services.ticket_article_attach(actor=agent, ticket=incident, article=article, resolved=True)  # idempotent
    article.refresh_from_db()
    assert article.resolved_count == 1
    services.ticket_article_attach(actor=agent, ticket=incident, article=article, resolved=False)
    article.refresh_from_db()
    assert article.resolved_count == 0
    services.ticket_article_attach(actor=agent, ticket=incident, article=article, resolved=True)
    services.ticket_article_detach(actor=agent, ticket=incident, article=article)
    article.refresh_from_db()
    assert article.resolved_count == 0 and not Ticket.objects.get(pk=incident.pk).knowledge_links.exists()
