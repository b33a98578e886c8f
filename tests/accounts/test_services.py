"""Writes about people go through accounts.services: own profile, language, API token."""

import pytest
from django.core.exceptions import ValidationError

from accounts import services
from esm.errors import NotPermitted


def test_people_change_their_own_profile(requester):
    assert services.profile_update(actor=requester, user=requester, phone="010-1234", time_zone="Asia/Seoul") \
        == ["phone", "time_zone"]
    requester.refresh_from_db()
    assert (requester.phone, requester.time_zone) == ("010-1234", "Asia/Seoul")


def test_not_someone_elses_and_not_with_bad_values(requester, other_requester):
    with pytest.raises(NotPermitted):
        services.profile_update(actor=other_requester, user=requester, phone="1")
    with pytest.raises(ValidationError) as bad_zone:
        services.profile_update(actor=requester, user=requester, time_zone="Mars/Olympus")
    assert "time_zone" in bad_zone.value.message_dict
    with pytest.raises(ValidationError) as bad_field:
        services.profile_update(actor=requester, user=requester, is_superuser=True)
    assert "is_superuser" in bad_field.value.message_dict


def test_language_is_remembered_through_the_service(client, requester):
    client.force_login(requester)
    client.post("/i18n/setlang/", {"language": "ko", "next": "/portal/"})
    requester.refresh_from_db()
    assert requester.language == "ko"
    with pytest.raises(ValidationError):
        services.language_set(actor=requester, user=requester, language="xx")


def test_one_token_per_person(requester):
    assert services.token_for(actor=requester).key == services.token_for(actor=requester).key
