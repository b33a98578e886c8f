"""Console and portal pages: the editor with preview, the article page, versions and diffs, tasks, the
incident's knowledge card and "create article", the portal's home, article and feedback; who may open
what; flat query counts."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidents import services as incident_services
from knowledge import services
from knowledge.choices import TaskType
from knowledge.models import Article, Feedback, KnowledgeTask


def desk(name, *args):
    return reverse(f"desk-knowledge:{name}", args=args)


def test_editor_previews_without_saving_then_saves(agent_client, agent, public_base):
    data = {"knowledge_base": public_base.pk, "title": "VPN", "body": "# Steps\n<script>alert(1)</script>",
            "tags": "vpn, remote", "language": "en", "owner": agent.pk, "note": ""}
    preview = agent_client.post(desk("create"), {**data, "preview": "1"})
    assert preview.status_code == 200 and not Article.objects.exists()
    html = preview.content.decode()
    assert "<h1>Steps</h1>" in html and "<script>alert(1)</script>" not in html
    saved = agent_client.post(desk("create"), data)
    article = Article.objects.get()
    assert saved.status_code == 302 and saved["Location"] == desk("detail", article.pk)
    assert article.tags == ["vpn", "remote"]


def test_editor_shows_field_errors(agent_client, agent, public_base):
    response = agent_client.post(desk("create"), {"knowledge_base": public_base.pk, "title": "", "language": "en",
                                                  "owner": agent.pk})
    assert response.status_code == 400 and not Article.objects.exists()


def test_edit_publish_and_diff(agent_client, agent, make_article):
    article = make_article(title="VPN", body="line one\nline two")
    page = agent_client.get(desk("edit", article.pk))
    assert page.status_code == 200
    response = agent_client.post(desk("edit", article.pk), {
        "knowledge_base": article.knowledge_base_id, "title": "VPN", "body": "line one\nline <b>2</b>",
        "tags": "", "language": "ko", "owner": agent.pk, "note": "Fix", "version": article.version})
    assert response.status_code == 302
    detail = agent_client.get(desk("detail", article.pk)).content.decode()
    assert "Version 2 not published yet" in detail and 'value="publish"' in detail
    agent_client.post(desk("transition", article.pk), {"action": "publish", "version": Article.objects.get(
        pk=article.pk).version})
    assert Article.objects.get(pk=article.pk).current_version.number == 2
    diff = agent_client.get(desk("version", article.pk, 2)).content.decode()
    assert "<del class=\"kb-diff-line\">-line two</del>" in diff
    assert "<ins class=\"kb-diff-line\">+line &lt;b&gt;2&lt;/b&gt;</ins>" in diff
    assert agent_client.get(desk("version", article.pk, 9)).status_code == 404


def test_stale_edit_keeps_the_input(agent_client, agent, make_article):
    article = make_article()
    response = agent_client.post(desk("edit", article.pk), {
        "knowledge_base": article.knowledge_base_id, "title": "Mine", "body": "typed text", "language": "ko",
        "owner": agent.pk, "version": article.version - 1})
    assert response.status_code == 400 and "typed text" in response.content.decode()


def test_list_filters_and_searches(agent_client, make_article, django_assert_max_num_queries):
    make_article(title="프린터가 인쇄를 안 해요")
    make_article(title="Unfinished notes", publish=False)
    listing = agent_client.get(desk("list")).content.decode()
    assert "프린터가 인쇄를 안 해요" in listing and "Unfinished notes" in listing
    assert "Unfinished notes" not in agent_client.get(desk("list"), {"state": "published"}).content.decode()
    found = agent_client.get(desk("list"), {"q": "인쇄"}).content.decode()
    assert "프린터가" in found and "Unfinished notes" not in found
    assert agent_client.get(desk("list"), {"cursor": "garbage"}).status_code == 200


def test_list_query_count_is_flat(agent_client, make_article, django_assert_max_num_queries):
    for n in range(3):
        make_article(title=f"Article {n}")
    agent_client.get(desk("list"))  # warm the session and the per-process caches
    with django_assert_max_num_queries(12) as few:
        agent_client.get(desk("list"))
    for n in range(3, 30):
        make_article(title=f"Article {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        agent_client.get(desk("list"))


def test_requesters_are_sent_to_the_portal(client, requester, make_article):
    client.force_login(requester)
    response = client.get(desk("list"))
    assert response.status_code == 302 and "/portal/" in response["Location"]


def test_task_page_and_closing_it(agent_client, agent, requester, make_article):
    article = make_article()
    services.feedback_add(actor=requester, article=article, helpful=False, comment="Did not work")
    ticket = KnowledgeTask.objects.get(task_type=TaskType.FEEDBACK).ticket
    page = agent_client.get(desk("task", ticket.number)).content.decode()
    assert "Did not work" in page and article.title in page
    response = agent_client.post(desk("task_transition", ticket.number), {"target": "done",
                                                                         "version": ticket.version})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == "done"
    # The service desk's own ticket link reaches the task page through the registry.
    assert agent_client.get(reverse("desk:ticket_detail", args=[ticket.number]))["Location"] == \
        desk("task", ticket.number)


def test_publication_task_shows_the_approval(client, agent, manager, approval_base):
    article = services.article_create(actor=agent, knowledge_base=approval_base, title="GPU", body="Book")
    services.article_transition(actor=agent, article=article, action="submit")
    ticket = KnowledgeTask.objects.get().ticket
    client.force_login(manager)
    page = client.get(desk("task", ticket.number)).content.decode()
    assert reverse("desk:approval_vote") in page


def test_incident_card_attaches_and_creates_from_the_incident(agent_client, agent, requester, make_article,
                                                              team):
    incident = incident_services.incident_open(actor=requester, requester=requester, title="Outlook asks again",
                                               description="It keeps asking.", impact=3, urgency=3)
    article = make_article(title="Outlook password")
    page = agent_client.get(reverse("desk:ticket_detail", args=[incident.number]), follow=True).content.decode()
    assert "Create article" in page and desk("ticket_attach", incident.number) in page
    agent_client.post(desk("ticket_attach", incident.number), {"article": article.number, "resolved": "on"})
    article.refresh_from_db()
    assert article.resolved_count == 1
    form = agent_client.get(desk("create"), {"incident": incident.number}).content.decode()
    assert "It keeps asking." in form and "## Symptoms" in form and "## Resolution" in form


@pytest.fixture
def requester_client(client, requester):
    client.force_login(requester)
    return client


def test_portal_home_search_and_article(requester_client, make_article, internal_base):
    article = make_article(title="비밀번호 초기화 방법", body="비밀번호 페이지로 갑니다.")
    make_article(title="비밀번호 runbook", base=internal_base)
    home = requester_client.get(reverse("portal:knowledge_home")).content.decode()
    assert "비밀번호 초기화 방법" in home and "runbook" not in home
    found = requester_client.get(reverse("portal:knowledge_home"), {"q": "비밀번호"}).content.decode()
    assert "<mark>비밀번호</mark>" in found and "runbook" not in found
    page = requester_client.get(reverse("portal:knowledge_article", args=[article.pk]))
    assert page.status_code == 200
    article.refresh_from_db()
    assert article.view_count == 1


def test_portal_feedback(requester_client, requester, make_article):
    article = make_article()
    url = reverse("portal:knowledge_feedback", args=[article.pk])
    response = requester_client.post(url, {"helpful": "yes", "rating": "5"})
    assert response.status_code == 302
    assert Feedback.objects.get().helpful is True
    refused = requester_client.post(url, {"flagged": "on"})
    assert refused.status_code == 400 and Feedback.objects.count() == 1


def test_portal_hides_drafts_expired_and_internal(requester_client, make_article, internal_base):
    draft = make_article(publish=False)
    internal = make_article(base=internal_base)
    expired = make_article()
    Article.objects.filter(pk=expired.pk).update(valid_to=timezone.localdate() - timedelta(days=1))
    for article in (draft, internal, expired):
        assert requester_client.get(reverse("portal:knowledge_article", args=[article.pk])).status_code == 404
    assert requester_client.get("/portal/knowledge/99999999999999999999/").status_code == 404


def test_report_form_has_the_deflection_panel(requester_client):
    html = requester_client.get(reverse("portal:report")).content.decode()
    assert 'data-kb-deflection data-input="id_title"' in html and "knowledge/deflection.js" in html


def test_console_queue_lists_knowledge_tasks(agent_client, requester, make_article):
    article = make_article(title="Printer guide")
    services.feedback_add(actor=requester, article=article, rating=1)
    ticket = KnowledgeTask.objects.get().ticket
    page = agent_client.get(reverse("desk:queue"), {"queue": "kb_feedback"}).content.decode()
    assert ticket.number in page and "Feedback to answer" in page
    assert ticket.number not in agent_client.get(reverse("desk:queue"), {"queue": "kb_review"}).content.decode()
