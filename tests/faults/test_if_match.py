"""If-Match per RFC 9110 on every versioned resource (incidents, CIs): one parser (esm.api)."""

import pytest

from accounts import roles
from accounts.factories import UserFactory
from cmdb.factories import CIFactory
from esm.api import parse_if_match
from servicedesk.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("header, parsed", [
    ('"3"', [(False, "3")]),
    ('W/"3"', [(True, "3")]),
    ('"1", "2"', [(False, "1"), (False, "2")]),
    (' "a,b" ,, W/"" ', [(False, "a,b"), (True, "")]),
    ("*", None),
])
def test_parser_reads_entity_tag_lists(header, parsed):
    assert parse_if_match(header) == parsed


@pytest.mark.parametrize("header", ["abc", '"unterminated', "3", 'W/3', '"a" "b"', '*, "1"', ", ,", '"\x7f"'])
def test_parser_refuses_what_is_not_entity_tags(header):
    with pytest.raises(ValueError):
        parse_if_match(header)


def current_of(incident):
    return Ticket.objects.get(pk=incident.pk).version


@pytest.mark.parametrize("make_header, expected", [
    (lambda v: f'"{v}"', 200),                 # the current version
    (lambda v: f'"{v + 1}"', 412),             # another number
    (lambda v: '"abc"', 412),                  # well-formed, not a version
    (lambda v: f'"{10**30}"', 412),
    (lambda v: '""', 412),
    (lambda v: f'W/"{v}"', 412),               # weak: never matches under strong comparison
    (lambda v: "*", 200),                      # the incident exists
    (lambda v: f'"1", "{v}"', 200),            # one member matches
    (lambda v: f'"{v + 5}", "{v + 6}"', 412),  # none does
    (lambda v: "abc", 400),                    # not an entity-tag at all
    (lambda v: '"unterminated', 400),
])
def test_incident_writes_follow_rfc_9110(api, agent, team, make_incident, make_header, expected):
    incident = make_incident(title="Mail is down")
    version = current_of(incident)
    response = api(agent).patch(f"/api/v1/incidents/{incident.number}/", {"title": "Changed"}, format="json",
                                HTTP_IF_MATCH=make_header(version))
    assert response.status_code == expected, response.content
    if expected == 412:
        assert response.json()["current_version"] == version
    changed = Ticket.objects.get(pk=incident.pk).title == "Changed"
    assert changed is (expected == 200)


def test_incident_action_with_a_stale_list_is_412(api, agent, team, make_incident):
    incident = make_incident(title="Mail is down")
    response = api(agent).post(f"/api/v1/incidents/{incident.number}/transition/", {"to": "in_progress"},
                               format="json", HTTP_IF_MATCH='"998", W/"999"')
    assert response.status_code == 412 and response.json()["code"] == "stale_version"


@pytest.fixture
def editor(db):
    return UserFactory(username="cm", roles=[roles.CONFIGURATION_MANAGER])


@pytest.mark.parametrize("header, expected", [
    ('"{v}"', 200), ('"{n}"', 412), ('"x1"', 412), ('W/"{v}"', 412), ("*", 200), ('"{n}", "{v}"', 200),
    ("abc", 400), ('"unterminated', 400),
])
def test_ci_updates_follow_rfc_9110(api, editor, header, expected):
    ci = CIFactory()
    response = api(editor).patch(f"/api/v1/cmdb/cis/{ci.pk}/", {"location": "DC9"}, format="json",
                                 HTTP_IF_MATCH=header.format(v=ci.version, n=ci.version + 1))
    assert response.status_code == expected, response.content
    if expected == 412:
        assert response.json()["current_version"] == ci.version


@pytest.mark.parametrize("header, expected", [
    ('"{n}"', 412), ('W/"{v}"', 412), ("abc", 400), ("*", 204), ('"{n}", "{v}"', 204),
])
def test_ci_deletes_follow_rfc_9110(api, editor, header, expected):
    ci = CIFactory()
    response = api(editor).delete(f"/api/v1/cmdb/cis/{ci.pk}/",
                                  HTTP_IF_MATCH=header.format(v=ci.version, n=ci.version + 1))
    assert response.status_code == expected, response.content
    if expected == 400:
        assert "If-Match" in response.json()
