"""Search: Korean two-character tokens, English prefixes, tags, ranking, highlights, who reads what."""

from knowledge.models import Article
from knowledge.queries import articles_visible_to
from knowledge.search import article_suggestions, highlight, search_articles


def titles(qs):
    return [a.title for a in qs]


def test_two_syllable_korean_nouns_match_inside_words(make_article):
    make_article(title="프린터가 인쇄를 안 해요", body="인쇄 대기열을 비웁니다.")
    make_article(title="메일서버 장애 대응", body="Exchange 상태를 확인합니다.")
    make_article(title="VPN 연결이 끊겨요", body="와이파이 신호")
    everything = Article.objects.all()
    assert titles(search_articles(everything, "프린터")) == ["프린터가 인쇄를 안 해요"]
    assert titles(search_articles(everything, "인쇄")) == ["프린터가 인쇄를 안 해요"]
    assert titles(search_articles(everything, "서버")) == ["메일서버 장애 대응"]
    assert titles(search_articles(everything, "장애 메일")) == ["메일서버 장애 대응"]
    assert titles(search_articles(everything, "와이파이")) == ["VPN 연결이 끊겨요"]


def test_english_prefixes_tags_and_ranking(make_article):
    make_article(title="Printer shows paper jam", body="Open the door.")
    make_article(title="Add a device", body="Pick the printer from the list.")
    make_article(title="Laptop", body="Charge it.", tags=["battery", "power"])
    results = list(search_articles(Article.objects.all(), "print"))
    assert [a.title for a in results] == ["Printer shows paper jam", "Add a device"]  # title outranks body
    assert results[0].rank > results[1].rank
    assert titles(search_articles(Article.objects.all(), "batt")) == ["Laptop"]
    assert not search_articles(Article.objects.all(), "   ").exists()


def test_highlight_marks_matches_and_escapes_the_text():
    html = highlight("<script>x</script> 프린터가 멈췄어요. Printer jammed.", "프린터 print")
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "<mark>프린터</mark>가" in html and "<mark>Print</mark>er" in html


def test_requesters_read_published_public_articles_of_their_organisation(
        requester, other_requester, agent, make_article, internal_base, approval_base, organisation):
    public = make_article(title="Public VPN guide")
    make_article(title="Internal VPN runbook", base=internal_base)
    make_article(title="Draft VPN notes", publish=False)
    approval_base.organisations.set([organisation])  # requester's organisation only
    restricted = make_article(title="Lab VPN guide", base=approval_base, publish=False)
    Article.objects.filter(pk=restricted.pk).update(state="published", current_version=restricted.versions.get())
    assert set(titles(articles_visible_to(requester))) == {"Public VPN guide", "Lab VPN guide"}
    assert titles(articles_visible_to(other_requester)) == ["Public VPN guide"]
    assert len(articles_visible_to(agent)) == 4  # the console sees every article
    suggestions = article_suggestions("vpn", other_requester, 5)
    assert [s.ident for s in suggestions] == [str(public.pk)]
    assert 0 < suggestions[0].score < 1
    assert suggestions[0].url.endswith(f"/knowledge/{public.pk}/")


def test_deflection_finds_articles_from_a_whole_sentence(requester, make_article):
    wanted = make_article(title="프린터가 인쇄를 안 해요", body="인쇄 대기열을 비웁니다.", tags=["프린터"])
    make_article(title="VPN 연결", body="와이파이 신호를 확인합니다.")
    # Particles (가, 요) and words no article holds: every word is not needed, the best match comes first.
    [first] = article_suggestions("프린터 인쇄가 안 돼요", requester, 5)
    assert first.ident == str(wanted.pk) and "<mark>인쇄</mark>" in first.snippet
    assert not search_articles(Article.objects.all(), "프린터 인쇄가 안 돼요").exists()  # the search page needs all
