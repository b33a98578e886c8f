"""A score of 2 or less e-mails the team lead and enters the console's low-score queue, followed up there."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import roles
from accounts.factories import UserFactory
from esm.errors import DomainError, NotPermitted
from servicedesk.models import Notification
from surveys import services
from surveys.models import FollowUpState


def answer(survey, score, comment="", now=None):
    return services.survey_answer(survey=survey, actor=survey.requester, score=score, comment=comment, now=now,
                                  via="link")


def test_a_low_score_notifies_the_team_lead_and_opens_a_follow_up(invited, lead,
                                                                  django_capture_on_commit_callbacks):
    survey = invited()
    with django_capture_on_commit_callbacks(execute=True):
        answer(survey, 2, "Took a week")
    survey.refresh_from_db()
    assert survey.followup_state == FollowUpState.OPEN
    note = Notification.objects.get(reason="survey_low_score")
    assert note.recipient == lead
    assert "Took a week" in note.body and f"/desk/surveys/low-scores/{survey.pk}/" in note.body


def test_a_good_score_notifies_nobody(invited):
    survey = invited()
    answer(survey, 3, "")
    survey.refresh_from_db()
    assert survey.followup_state == ""
    assert not Notification.objects.filter(reason="survey_low_score").exists()


def test_changing_the_answer_moves_it_in_and_out_of_the_queue_and_notifies_once(invited):
    survey = invited()
    answer(survey, 1, "bad")
    answer(survey, 2, "still bad")
    assert Notification.objects.filter(reason="survey_low_score").count() == 1
    answer(survey, 4)
    survey.refresh_from_db()
    assert survey.followup_state == ""  # nobody had acted yet: nothing left to follow up


def test_follow_up_contacted_then_closed(invited, lead):
    survey = invited()
    answer(survey, 1, "bad")
    services.survey_follow_up(survey=survey, actor=lead, state="contacted", note="Called, apologised.")
    services.survey_follow_up(survey=survey, actor=lead, state="closed", note="Fixed for good.")
    survey.refresh_from_db()
    assert survey.followup_state == FollowUpState.CLOSED
    assert [f.state for f in survey.followups.all()] == ["contacted", "closed"]
    with pytest.raises(DomainError) as closed:
        services.survey_follow_up(survey=survey, actor=lead, state="contacted", note="again")
    assert closed.value.code == "followup_closed"
    answer(survey, 4)  # still within the edit window: the follow-up history stays
    survey.refresh_from_db()
    assert survey.followup_state == FollowUpState.CLOSED


def test_follow_up_refusals(invited, lead, agent):
    survey = invited()
    answer(survey, 5)
    with pytest.raises(DomainError) as not_low:
        services.survey_follow_up(survey=survey, actor=lead, state="contacted", note="x")
    assert not_low.value.code == "not_low_score"
    answer(survey, 1, "bad")
    with pytest.raises(NotPermitted):
        services.survey_follow_up(survey=survey, actor=agent, state="contacted", note="x")
    with pytest.raises(ValidationError) as invalid:
        services.survey_follow_up(survey=survey, actor=lead, state="open", note="")
    assert set(invalid.value.message_dict) == {"state", "note"}


def test_answers_after_the_edit_window_are_refused(invited):
    survey = invited()
    answer(survey, 3)
    with pytest.raises(services.SurveyClosed) as closed:
        answer(survey, 4, now=timezone.now() + timedelta(hours=13))
    assert closed.value.code == "survey_answered"


def test_only_the_requester_answers(invited, other_requester):
    survey = invited()
    with pytest.raises(NotPermitted):
        services.survey_answer(survey=survey, actor=other_requester, score=5)


def test_console_queue_and_follow_up_form(client, invited, lead, agent, requester):
    survey = invited()
    answer(survey, 1, "Nobody called back")
    client.force_login(lead)
    queue = client.get("/desk/surveys/low-scores/")
    assert queue.status_code == 200 and survey.ticket.number in queue.text and "Nobody called back" in queue.text
    refused = client.post(f"/desk/surveys/low-scores/{survey.pk}/follow-up/", {"state": "contacted", "note": ""})
    assert refused.status_code == 400
    done = client.post(f"/desk/surveys/low-scores/{survey.pk}/follow-up/",
                       {"state": "contacted", "note": "Called back, sorry."})
    assert done.status_code == 302
    survey.refresh_from_db()
    assert survey.followup_state == "contacted"
    assert survey.ticket.number not in client.get("/desk/surveys/low-scores/").text  # left "to follow up"
    assert survey.ticket.number in client.get("/desk/surveys/low-scores/?state=contacted").text
    assert client.get("/desk/surveys/low-scores/junk/").status_code == 404
    assert client.get("/desk/surveys/low-scores/?cursor=junk").status_code == 200
    client.force_login(agent)
    assert client.get("/desk/surveys/low-scores/").status_code == 403
    assert client.post(f"/desk/surveys/low-scores/{survey.pk}/follow-up/",
                       {"state": "closed", "note": "x"}).status_code == 403
    client.force_login(requester)
    assert client.get("/desk/surveys/low-scores/").status_code == 302


def test_a_lead_who_cannot_see_satisfaction_gets_the_ticket_link(invited, team, other_agent):
    team.lead = other_agent  # an agent leading the team, without satisfaction rights
    team.save()
    survey = invited()
    answer(survey, 1, "bad")
    body = Notification.objects.get(reason="survey_low_score", recipient=other_agent).body
    assert "/desk/surveys/" not in body and f"/desk/incidents/{survey.ticket.number}/" in body


def test_a_team_without_a_lead_still_queues_the_low_score(invited, team):
    team.lead = None
    team.save()
    survey = invited()
    answer(survey, 1, "bad")
    survey.refresh_from_db()
    assert survey.followup_state == FollowUpState.OPEN
    assert not Notification.objects.filter(reason="survey_low_score").exists()


def test_service_level_managers_follow_up_too(invited):
    slm = UserFactory(roles=[roles.SERVICE_LEVEL_MANAGER])
    survey = invited()
    answer(survey, 2, "meh")
    services.survey_follow_up(survey=survey, actor=slm, state="closed", note="Reviewed with the team.")
