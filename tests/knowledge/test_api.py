"""The knowledge API: list and search, create, ETag / If-Match, versions, moves, feedback, suggestions,
who may do what, and flat query counts."""

import pytest

from knowledge.choices import TaskType
from knowledge.models import KnowledgeTask

from .conftest import ARTICLES


def url(article, action: str = "") -> str:
    return f"{ARTICLES}{article.pk}/" + (f"{action}/" if action else "")


@pytest.fixture
def agent_api(api, agent, team):
    return api(agent)


def test_create_read_edit_with_etag(agent_api, public_base, service):
    response = agent_api.post(ARTICLES, {"knowledge_base": public_base.pk, "title": "VPN  from home",
                                         "body": "**Connect**", "tags": ["vpn"], "language": "en",
                                         "cis": [service.pk]}, format="json")
    assert response.status_code == 201, response.data
    body = response.json()
    assert body["state"] == "draft" and body["title"] == "VPN from home" and body["cis"] == [service.pk]
    assert body["body_html"] == "<p><strong>Connect</strong></p>" and "publish" in body["actions"]
    article_url = f"{ARTICLES}{body['id']}/"
    etag = agent_api.get(article_url)["ETag"]
    assert etag == f'"{body["version"]}"'
    stale = agent_api.patch(article_url, {"body": "x"}, format="json", HTTP_IF_MATCH='"999"')
    assert stale.status_code == 412 and stale.json()["code"] == "stale_version"
    edited = agent_api.patch(article_url, {"body": "Connect again"}, format="json", HTTP_IF_MATCH=etag)
    assert edited.status_code == 200
    versions = agent_api.get(article_url + "versions/").json()
    assert [v["number"] for v in versions] == [2, 1] and versions[0]["body"] == "Connect again"


def test_bad_input_is_a_field_error(agent_api, public_base):
    response = agent_api.post(ARTICLES, {"knowledge_base": 10**20, "title": ""}, format="json")
    assert response.status_code == 400
    assert {"knowledge_base", "title"} <= set(response.json())
    assert agent_api.get(ARTICLES + "abc/").status_code == 404


def test_transition_publishes_and_refuses_what_is_not_possible(agent_api, make_article):
    article = make_article(publish=False)
    response = agent_api.post(url(article, "transition"), {"action": "publish"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "published"
    assert response.json()["current_version"] == 1
    again = agent_api.post(url(article, "transition"), {"action": "publish"}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "transition_not_allowed"
    assert agent_api.post(url(article, "transition"), {"action": "fly"}, format="json").status_code == 400


def test_requesters_read_published_public_articles_only(api, requester, make_article, internal_base):
    published = make_article(title="VPN guide", body="Open the VPN client.")
    draft = make_article(title="VPN draft", publish=False)
    internal = make_article(title="VPN runbook", base=internal_base)
    client = api(requester)
    listed = client.get(ARTICLES).json()["results"]
    assert [a["id"] for a in listed] == [published.pk]
    assert client.get(url(published)).status_code == 200
    assert client.get(url(draft)).status_code == 404 and client.get(url(internal)).status_code == 404
    found = client.get(ARTICLES, {"q": "vpn"}).json()["results"]
    assert [a["id"] for a in found] == [published.pk] and "<mark>VPN</mark>" in found[0]["snippet"]
    assert client.post(ARTICLES, {"title": "x"}, format="json").status_code == 403
    assert client.get(url(published, "versions")).status_code == 403
    assert client.post(url(published, "transition"), {"action": "retire"}, format="json").status_code == 403


def test_feedback_through_the_api_opens_a_task(api, requester, make_article):
    article = make_article()
    response = api(requester).post(url(article, "feedback"), {"helpful": False, "comment": "No"}, format="json")
    assert response.status_code == 201
    assert KnowledgeTask.objects.filter(article=article, task_type=TaskType.FEEDBACK).exists()
    bad = api(requester).post(url(article, "feedback"), {"rating": 9}, format="json")
    assert bad.status_code == 400 and "rating" in bad.json()
    assert api(None).post(url(article, "feedback"), {"helpful": True}, format="json").status_code == 401


def test_search_endpoint_merges_suggestions(api, requester, make_article):
    make_article(title="프린터가 인쇄를 안 해요", body="인쇄 대기열")
    response = api(requester).get("/api/v1/knowledge/search/", {"q": "프린터"})
    assert response.status_code == 200
    [first] = response.json()
    assert first["source"] == "article" and first["title"] == "프린터가 인쇄를 안 해요" and 0 < first["score"] < 1
    assert api(requester).get("/api/v1/knowledge/search/").status_code == 400
    nothing_to_find = api(requester).get("/api/v1/knowledge/search/", {"q": "\x13?ê"})
    assert nothing_to_find.status_code == 200 and nothing_to_find.json() == []
    for limit in ("many", "²", "0", "21"):
        assert api(requester).get("/api/v1/knowledge/search/", {"q": "x", "limit": limit}).status_code == 400


def test_list_query_count_is_flat(agent_api, make_article, django_assert_max_num_queries):
    for n in range(3):
        make_article(title=f"Article {n}")
    with django_assert_max_num_queries(4) as few:
        assert len(agent_api.get(ARTICLES).json()["results"]) == 3
    for n in range(3, 30):
        make_article(title=f"Article {n}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(agent_api.get(ARTICLES).json()["results"]) == 30
    # A search adds its snippets' read and the index-only setting (a savepoint, SET LOCAL, release).
    with django_assert_max_num_queries(len(few.captured_queries) + 4):
        assert len(agent_api.get(ARTICLES, {"q": "article"}).json()["results"]) == 30


def test_knowledge_manager_retires_through_the_api(api, manager, make_article):
    article = make_article()
    response = api(manager).post(url(article, "transition"), {"action": "retire"}, format="json",
                                 HTTP_IF_MATCH=f'"{article.version}"')
    assert response.status_code == 200 and response.json()["state"] == "retired"
