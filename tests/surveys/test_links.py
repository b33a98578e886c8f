"""The signed link opens one ticket's survey without logging in; forged and expired links get a clear page."""

from datetime import timedelta

import time_machine
from django.core import signing
from django.utils import timezone

from surveys import links, services
from surveys.models import Survey

from .conftest import link_of, token_of


def test_the_link_opens_the_survey_without_logging_in_and_takes_an_answer(client, invited):
    survey = invited()
    page = client.get(link_of(survey))
    assert page.status_code == 200
    assert survey.ticket.number in page.text and 'name="score"' in page.text
    answered = client.post(link_of(survey), {"score": "4", "comment": "Quick, thanks"})
    assert answered.status_code == 302
    survey.refresh_from_db()
    assert (survey.score, survey.comment, survey.answered_via) == (4, "Quick, thanks", "link")


def test_one_answer_per_ticket_editable_for_12_hours(client, invited):
    survey = invited()
    client.post(link_of(survey), {"score": "3"})
    first_answer = Survey.objects.get(pk=survey.pk).answered_at
    client.post(link_of(survey), {"score": "5"})
    survey.refresh_from_db()
    assert survey.score == 5 and survey.answered_at == first_answer  # changed, not a second answer
    assert Survey.objects.filter(ticket=survey.ticket).count() == 1
    with time_machine.travel(first_answer + timedelta(hours=12, minutes=1)):
        page = client.get(link_of(survey))
        assert page.status_code == 200 and "can no longer be changed" in page.text
        client.post(link_of(survey), {"score": "1", "comment": "changed my mind"})
    survey.refresh_from_db()
    assert survey.score == 5


def test_a_forged_or_tampered_link_is_a_clear_400_page(client, invited):
    survey = invited()
    token = token_of(survey)
    payload, stamp, signature = token.split(":")
    other = signing.dumps({"t": survey.ticket_id + 1, "d": 14}, salt=links.SALT).split(":")[0]
    for bad in ("not-a-token", f"{other}:{stamp}:{signature}", f"{payload}:{stamp}:{signature[:-2]}xx",
                signing.dumps({"t": survey.ticket_id, "d": 14}, salt="another.feature"), "%00", "a" * 400):
        page = client.get(f"/portal/survey/{bad}/")
        assert page.status_code in (400, 404), bad
        if page.status_code == 400:
            assert "This link does not work" in page.text
    posted = client.post("/portal/survey/not-a-token/", {"score": "1"})
    assert posted.status_code == 400
    assert Survey.objects.get(pk=survey.pk).score is None


def test_a_link_for_a_ticket_without_a_sent_survey_does_not_open(client, make_incident, resolve, policy):
    survey = resolve(make_incident())  # planned, not yet sent
    assert client.get(link_of(survey)).status_code == 400


def test_an_expired_link_is_a_clear_410_page(client, invited):
    survey = invited()
    link = link_of(survey)
    with time_machine.travel(timezone.now() + timedelta(days=14, minutes=1)):
        page = client.get(link)
        assert page.status_code == 410 and "This survey has closed" in page.text
        assert client.post(link, {"score": "5"}).status_code == 410
    assert Survey.objects.get(pk=survey.pk).score is None


def test_the_survey_expires_with_its_row_too(invited):
    survey = invited()
    later = survey.expires_at + timedelta(seconds=1)
    assert not services.can_answer(survey, later)


def test_a_low_score_needs_a_comment_and_keeps_the_input(client, invited):
    survey = invited()
    page = client.post(link_of(survey), {"score": "2", "comment": ""})
    assert page.status_code == 400
    assert "Please tell us what went wrong" in page.text
    assert Survey.objects.get(pk=survey.pk).score is None
    assert client.post(link_of(survey), {"score": "9"}).status_code == 400


def test_the_signed_in_requester_finds_and_answers_their_surveys_on_the_portal(client, invited, requester,
                                                                               other_requester):
    survey = invited()
    client.force_login(requester)
    listing = client.get("/portal/surveys/")
    assert listing.status_code == 200 and survey.ticket.number in listing.text
    assert client.post(f"/portal/surveys/{survey.ticket.number}/", {"score": "5"}).status_code == 302
    assert Survey.objects.get(pk=survey.pk).answered_via == "portal"
    client.force_login(other_requester)
    assert client.get(f"/portal/surveys/{survey.ticket.number}/").status_code == 404
    assert survey.ticket.number not in client.get("/portal/surveys/").text


def test_the_api_answer_endpoint_takes_the_token(api, invited):
    survey = invited()
    anonymous = api(None)
    read = anonymous.get("/api/v1/surveys/answer/", {"token": token_of(survey)})
    assert read.status_code == 200 and read.json()["open"] is True
    assert read.json()["ticket_number"] == survey.ticket.number
    low = anonymous.post("/api/v1/surveys/answer/", {"token": token_of(survey), "score": 1}, format="json")
    assert low.status_code == 400 and "comment" in low.json()
    ok = anonymous.post("/api/v1/surveys/answer/", {"token": token_of(survey), "score": 1, "comment": "slow"},
                        format="json")
    assert ok.status_code == 200 and ok.json()["score"] == 1
    forged = anonymous.post("/api/v1/surveys/answer/", {"token": "x:y:z", "score": 4}, format="json")
    assert forged.status_code == 400 and "token" in forged.json()
    assert anonymous.get("/api/v1/surveys/answer/").status_code == 400
    with time_machine.travel(timezone.now() - timedelta(days=15)):  # a link e-mailed 15 days ago
        old = token_of(survey)
    expired = anonymous.post("/api/v1/surveys/answer/", {"token": old, "score": 4}, format="json")
    assert expired.status_code == 410 and expired.json()["code"] == "link_expired"
    bad_score = anonymous.post("/api/v1/surveys/answer/", {"token": token_of(survey), "score": 0}, format="json")
    assert bad_score.status_code == 400 and "score" in bad_score.json()


def test_the_answer_endpoint_is_throttled_per_address(api, invited, monkeypatch):
    from surveys.api.views import AnswerThrottle

    monkeypatch.setattr(AnswerThrottle, "rate", "2/min")
    survey = invited()
    anonymous = api(None)
    for _ in range(2):
        assert anonymous.get("/api/v1/surveys/answer/", {"token": token_of(survey)}).status_code == 200
    assert anonymous.get("/api/v1/surveys/answer/", {"token": token_of(survey)}).status_code == 429
