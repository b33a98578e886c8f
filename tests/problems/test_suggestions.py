"""Known-error suggestions: ranking in English and Korean, boosts, the portal source, applying a workaround."""

import pytest

from cmdb.factories import CIFactory
from esm.errors import DomainError
from problems import services
from problems.models import KnownErrorUse
from problems.queries import (
    known_error_suggestions_for_portal,
    search_known_errors,
    similarity_query,
    similarity_words,
    suggest_known_errors,
    suggestions_for_incident,
)
from servicedesk import services as desk
from servicedesk.models import Comment, TimelineEntry
from servicedesk.registry import suggestion_sources

pytestmark = pytest.mark.django_db


@pytest.fixture
def kedb(make_known_error):
    return {
        "vpn": make_known_error(title="VPN client disconnects every ten minutes",
                                symptoms="The VPN tunnel drops and reconnects; video calls freeze.",
                                workaround="Switch the client to **TCP** mode.", workaround_public=True),
        "printer": make_known_error(title="Printer queue stuck on floor 3",
                                    symptoms="Jobs wait forever in the print queue."),
        "mail_ko": make_known_error(title="메일서버 접속 장애", symptoms="아웃룩에서 메일 수신이 되지 않습니다.",
                                    workaround="웹메일을 사용하세요.", workaround_public=True),
        "payroll": make_known_error(title="Payroll export rounding", symptoms="Cents are rounded wrongly."),
    }


def ids(matches):
    return [m.id for m in matches]


def test_a_near_duplicate_ranks_first_and_unrelated_ones_do_not_appear(kedb):
    found = suggest_known_errors(text="My VPN keeps disconnecting during video calls")
    assert ids(found)[0] == kedb["vpn"].pk
    assert kedb["payroll"].pk not in ids(found)
    assert kedb["printer"].pk not in ids(found)


def test_korean_two_syllable_nouns_match_inside_compounds(kedb):
    found = suggest_known_errors(text="서버 장애로 메일이 안 옵니다")
    assert ids(found)[0] == kedb["mail_ko"].pk
    assert kedb["vpn"].pk not in ids(found)
    assert suggest_known_errors(text="급여 계산") == []


def test_same_ci_service_and_category_rank_higher(make_known_error, make_incident, agent, service):
    ci = CIFactory(name="vpn-gw-01")
    plain = make_known_error(title="Tunnel drops", symptoms="VPN tunnel drops")
    on_ci = make_known_error(title="Tunnel drops on the gateway", symptoms="VPN tunnel drops", cis=[ci])
    on_service = make_known_error(title="Tunnel drops (mail)", symptoms="VPN tunnel drops", services=[service])
    incident = make_incident(title="VPN tunnel drops", description="")
    desk.ticket_link_cis(ticket=incident, actor=agent, cis=[ci])
    found = suggestions_for_incident(incident)
    assert ids(found)[:2] == [on_ci.pk, plain.pk] or ids(found)[0] == on_ci.pk
    assert found[0].same_ci
    with_service = suggest_known_errors(text="VPN tunnel drops", service_ids=[service.pk])
    assert ids(with_service)[0] == on_service.pk


def test_a_shared_ci_alone_suggests_a_known_error(make_known_error):
    ci = CIFactory(name="db-07")
    known_error = make_known_error(title="Replication lag", symptoms="Reports are stale", cis=[ci])
    assert ids(suggest_known_errors(text="", ci_ids=[ci.pk])) == [known_error.pk]


def test_retired_known_errors_are_not_suggested(pm, kedb):
    services.known_error_save(actor=pm, known_error=kedb["vpn"], status="retired")
    assert kedb["vpn"].pk not in ids(suggest_known_errors(text="VPN disconnects"))


def test_similarity_words_drop_stop_words_and_keep_korean_bigrams():
    assert similarity_words("the and is") == []
    assert similarity_words("메일서버가") == ["('메일' | '일서' | '서버' | '버가')"]
    assert similarity_words("VPN's drops, VPN") == ["'vpn':*", "'drops':*"]
    assert similarity_query("VPN drops") == "'vpn':* | 'drops':*"


def test_one_shared_word_is_not_similar(make_known_error):
    make_known_error(title="Report runs for ten minutes", symptoms="and fails")
    assert suggest_known_errors(text="VPN drops every few minutes") == []


def test_kedb_search_needs_every_word(kedb, pm):
    from problems.models import KnownError

    assert list(search_known_errors(KnownError.objects.all(), "printer floor")) == [kedb["printer"]]
    assert list(search_known_errors(KnownError.objects.all(), "장애")) == [kedb["mail_ko"]]


def test_portal_source_offers_only_public_workarounds(kedb, requester):
    assert "known_error" in suggestion_sources()
    found = known_error_suggestions_for_portal("vpn disconnects and printer queue", requester, 5)
    assert [s.ident for s in found] == [str(kedb["vpn"].pk)]
    assert found[0].url == f"/portal/known-errors/{kedb['vpn'].pk}/"
    assert "<mark>" in found[0].snippet and 0 < found[0].score <= 1
    assert known_error_suggestions_for_portal("<script>", requester, 5) == []


def test_apply_a_workaround_links_it_writes_the_timeline_and_tells_the_requester(kedb, make_incident, agent):
    incident = make_incident(title="VPN drops")
    services.known_error_apply(actor=agent, known_error=kedb["vpn"], incident=incident, tell_requester=True)
    assert KnownErrorUse.objects.get(incident=incident).told_requester
    entry = TimelineEntry.objects.get(ticket=incident, data__note_code="workaround_applied")
    assert entry.data["note_params"]["id"] == kedb["vpn"].pk
    assert Comment.objects.get(ticket=incident, public=True).body == "Switch the client to **TCP** mode."


def test_a_retired_workaround_cannot_be_applied(kedb, make_incident, agent, pm):
    services.known_error_save(actor=pm, known_error=kedb["vpn"], status="retired")
    with pytest.raises(DomainError):
        services.known_error_apply(actor=agent, known_error=kedb["vpn"], incident=make_incident())


def test_public_workaround_needs_text(pm):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.known_error_save(actor=pm, title="x", symptoms="y", workaround_public=True)
    assert "workaround_public" in refused.value.message_dict


def test_a_known_error_with_a_category_ranks_for_an_incident_without_one(make_known_error):
    from servicedesk.models import Category

    category = Category.objects.create(name="Remote access (test)")
    with_category = make_known_error(title="VPN disconnects", symptoms="drops", category=category)
    found = suggest_known_errors(text="VPN disconnects", category_id=None)
    assert ids(found) == [with_category.pk] and found[0].score > 0 and not found[0].same_category
    assert suggest_known_errors(text="VPN disconnects", category_id=category.pk)[0].same_category
