"""List filters by id (team, assignee, category, service): existing ids filter, anything else is a 400."""

import pytest

from .conftest import INCIDENTS

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_teams(make_incident, team, other_team, agent):
    return (make_incident(title="desk", team=team, actor=agent),
            make_incident(title="network", team=other_team, actor=agent))


def numbers(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["number"] for row in response.data["results"]}


def test_one_or_several_ids(agent_api, two_teams, team, other_team):
    desk, network = two_teams
    assert numbers(agent_api.get(INCIDENTS, {"team_id": team.pk})) == {desk.number}
    assert numbers(agent_api.get(INCIDENTS, {"team_id": [team.pk, other_team.pk]})) == {desk.number, network.number}
    assert numbers(agent_api.get(INCIDENTS, {"team_id": [team.pk, team.pk]})) == {desk.number}


@pytest.mark.parametrize("value", ["abc", "1.5", "", "\x00"])
def test_what_django_refuses_as_no_id_at_all_still_is(value):
    # The same error codes as Django's own field: not an id at all, versus an id that is no choice.
    from django.core.exceptions import ValidationError

    from accounts.models import Team
    from esm.filters import ExistingIdsField

    with pytest.raises(ValidationError) as ours:
        ExistingIdsField(queryset=Team.objects.all()).clean([value])
    with pytest.raises(ValidationError) as django:
        ExistingIdsField.__mro__[1](queryset=Team.objects.all()).clean([value])
    assert ours.value.code == django.value.code


@pytest.mark.parametrize("value", ["999999", "abc", "1.5", "-3", "0", str(2**70), "1\x00", " 1", "+1", "01", "1_0",
                                   "\u0661", "\uff11", ""])
def test_unknown_or_malformed_id_is_a_field_error(agent_api, two_teams, value):
    response = agent_api.get(INCIDENTS, {"team_id": value})
    assert response.status_code == 400
    assert list(response.data) == ["team_id"]


def test_one_unknown_id_among_good_ones_is_refused(agent_api, two_teams, team):
    response = agent_api.get(INCIDENTS, {"team_id": [team.pk, 999999]})
    assert response.status_code == 400 and "999999" in str(response.data["team_id"])
