"""Portal deflection: suggestions merged across sources, searches and reads recorded, linked to the
ticket that follows, and counted as a deflection when no ticket follows within a day."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone

from knowledge.models import DeflectionRead, DeflectionSession
from knowledge.queries import deflection_counts
from servicedesk import registry
from servicedesk.registry import Suggestion

SUGGESTIONS = reverse("portal:knowledge_suggestions")


@pytest.fixture
def requester_client(client, requester):
    client.force_login(requester)
    return client


def open_url(article) -> str:
    target = reverse("portal:knowledge_article", args=[article.pk])
    return reverse("portal:knowledge_suggestion_open", args=["article", article.pk]) + \
        f"?next={quote(target)}&title={quote(article.title)}"


def test_typing_shows_matching_articles_and_records_the_search(requester_client, requester, make_article):
    article = make_article(title="프린터가 인쇄를 안 해요", body="프린터의 인쇄 대기열을 비웁니다.")
    response = requester_client.get(SUGGESTIONS, {"q": "프린", "from": "report"})
    response = requester_client.get(SUGGESTIONS, {"q": "프린터 인쇄", "from": "report"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<mark>프린터</mark>" in html and open_url(article).split("?")[0] in html
    session = DeflectionSession.objects.get(user=requester)
    assert session.query == "프린터 인쇄" and session.searches == 2 and session.ticket is None


def test_nothing_found_shows_nothing_and_records_nothing(requester_client, requester, make_article):
    make_article(title="VPN")
    response = requester_client.get(SUGGESTIONS, {"q": "zzzz"})
    assert response.content.decode().strip() == ""
    assert not DeflectionSession.objects.exists()


def test_reading_a_suggestion_is_recorded_and_shows_it(requester_client, requester, make_article):
    article = make_article(title="Reset your password")
    requester_client.get(SUGGESTIONS, {"q": "password"})
    response = requester_client.get(open_url(article))
    assert response.status_code == 302 and response["Location"] == reverse("portal:knowledge_article",
                                                                            args=[article.pk])
    read = DeflectionRead.objects.get()
    assert (read.source, read.ident, read.title) == ("article", str(article.pk), "Reset your password")
    assert read.session.first_read_at is not None


def test_the_read_link_does_not_redirect_elsewhere(requester_client, make_article):
    article = make_article()
    url = reverse("portal:knowledge_suggestion_open", args=["article", article.pk]) + "?next=https://evil.example/"
    assert requester_client.get(url).status_code == 404


def test_report_after_reading_stores_the_search_on_the_ticket(requester_client, requester, make_article, service,
                                                              django_capture_on_commit_callbacks):
    article = make_article(title="Outlook keeps asking for the password")
    requester_client.get(SUGGESTIONS, {"q": "outlook password"})
    requester_client.get(open_url(article))
    with django_capture_on_commit_callbacks(execute=True):  # the lifecycle signal is sent after commit
        response = requester_client.post(reverse("portal:report"), {
            "title": "Outlook password prompt", "description": "", "service": service.pk, "urgency": 2,
            "impact": 3})
    assert response.status_code == 302
    session = DeflectionSession.objects.get()
    assert session.ticket is not None and session.ticket.title == "Outlook password prompt"
    assert deflection_counts() == {"deflected": 0, "ticket_followed": 1, "pending": 0}


def test_a_read_without_a_ticket_for_a_day_is_a_deflection(requester_client, make_article, make_incident,
                                                           django_capture_on_commit_callbacks):
    article = make_article(title="VPN guide")
    requester_client.get(SUGGESTIONS, {"q": "vpn"})
    requester_client.get(open_url(article))
    assert deflection_counts() == {"deflected": 0, "ticket_followed": 0, "pending": 1}
    later = timezone.now() + timedelta(hours=25)
    assert deflection_counts(now=later)["deflected"] == 1
    # A ticket more than a day after the read does not undo the deflection.
    DeflectionSession.objects.update(last_search_at=timezone.now() - timedelta(hours=30),
                                     first_read_at=timezone.now() - timedelta(hours=30))
    with django_capture_on_commit_callbacks(execute=True):
        make_incident(title="Something else")
    assert DeflectionSession.objects.get().ticket is None
    assert deflection_counts()["deflected"] == 1


def test_sources_are_merged_by_score(requester_client, make_article, monkeypatch):
    make_article(title="VPN guide")

    def other_source(text, user, limit):
        return [Suggestion("other", "7", "VPN gateway bug", "Use <mark>vpn</mark>-gw-02", "/portal/x/", 0.99)]

    # setitem restores the registry afterwards, the real sources included.
    monkeypatch.setitem(registry._SUGGESTION_SOURCES, "other", other_source)
    html = requester_client.get(SUGGESTIONS, {"q": "vpn"}).content.decode()
    assert html.index("VPN gateway bug") < html.index("VPN guide")
    assert "Use <mark>vpn</mark>-gw-02" in html


def test_anonymous_people_are_sent_to_log_in(client):
    assert client.get(SUGGESTIONS, {"q": "vpn"}).status_code == 302
