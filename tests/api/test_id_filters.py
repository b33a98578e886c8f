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


@pytest.mark.parametrize("value", ["999999", "abc", "1.5", "-3", "0", str(2**70), "1\x00"])
def test_unknown_or_malformed_id_is_a_field_error(agent_api, two_teams, value):
    response = agent_api.get(INCIDENTS, {"team_id": value})
    assert response.status_code == 400
    assert list(response.data) == ["team_id"]


def test_one_unknown_id_among_good_ones_is_refused(agent_api, two_teams, team):
    response = agent_api.get(INCIDENTS, {"team_id": [team.pk, 999999]})
    assert response.status_code == 400 and "999999" in str(response.data["team_id"])
