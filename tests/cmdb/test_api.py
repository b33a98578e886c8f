"""CMDB API: who may read and write, CRUD with versions, filters incl. attributes, impact, history, query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cmdb.factories import CIFactory, RelationshipFactory, ServiceFactory
from cmdb.models import ConfigurationItem, Relationship

pytestmark = pytest.mark.django_db

CIS = "/api/v1/cmdb/cis/"
RELS = "/api/v1/cmdb/relationships/"
CLASSES = "/api/v1/cmdb/classes/"


@pytest.fixture
def editor_api(api, config_manager):
    return api(config_manager)


@pytest.fixture
def agent_api(api, agent):
    return api(agent)


@pytest.fixture
def requester_api(api, requester):
    return api(requester)


@pytest.mark.parametrize("path", [CIS, RELS, CLASSES, "/api/v1/cmdb/relationship-types/",
                                  "/api/v1/cmdb/redundancy-groups/"])
def test_requesters_and_anonymous_are_refused_agents_read(api, requester_api, agent_api, path):
    assert api(None).get(path).status_code == 401
    assert requester_api.get(path).status_code == 403
    assert agent_api.get(path).status_code == 200


def test_per_object_endpoints_refuse_requesters(requester_api, graph):
    ci = CIFactory()
    for path in (f"{CIS}{ci.pk}/", f"{CIS}{ci.pk}/impact/", f"{CIS}{ci.pk}/history/"):
        assert requester_api.get(path).status_code == 403


def test_agents_read_but_cannot_write(agent_api):
    ci = CIFactory()
    assert agent_api.post(CIS, {"name": "x", "ci_class": "server"}).status_code == 403
    assert agent_api.patch(f"{CIS}{ci.pk}/", {"name": "y"}).status_code == 403
    assert agent_api.delete(f"{CIS}{ci.pk}/").status_code == 403
    assert agent_api.post("/api/v1/cmdb/imports/", {"source": "x"}).status_code == 403


def test_create_update_delete_with_etag(editor_api):
    created = editor_api.post(CIS, {"name": "vm-01", "ci_class": "virtual_server", "environment": "test",
                                    "attributes": {"os": "linux", "cpu_count": 4}})
    assert created.status_code == 201, created.data
    assert created.data["attributes"] == {"os": "linux", "cpu_count": 4}
    assert created["ETag"] == '"1"'
    url = f"{CIS}{created.data['id']}/"

    changed = editor_api.patch(url, {"location": "DC1"}, HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200 and changed.data["version"] == 2
    stale = editor_api.patch(url, {"location": "DC2"}, HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412 and stale.data["current_version"] == 2

    assert editor_api.delete(url, HTTP_IF_MATCH='"2"').status_code == 204
    assert not ConfigurationItem.objects.filter(pk=created.data["id"]).exists()


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800"])
def test_characters_postgresql_cannot_store_are_field_errors(editor_api, escape):
    # A JSON escape decodes to NUL or an unpaired surrogate: in attributes (value or key) and import rows.
    for attributes in (f'{{"os": "a{escape}"}}', f'{{"k{escape}": "x"}}'):
        body = f'{{"name": "vm", "ci_class": "virtual_server", "attributes": {attributes}}}'
        response = editor_api.post(CIS, body, content_type="application/json")
        assert response.status_code == 400 and "attributes" in response.data, response.content
    for rows in (f'{{"cis": [{{"external_id": "e{escape}"}}]}}',
                 f'{{"cis": [{{"external_id": "e", "name": "n", "class": "server", "owner": "a{escape}"}}]}}',
                 f'{{"relationships": [{{"source": "a{escape}", "type": "runs_on", "target": "b"}}]}}'):
        response = editor_api.post("/api/v1/cmdb/imports/", '{"source": "scan", ' + rows[1:],
                                   content_type="application/json")
        assert response.status_code == 400 and "invalid characters" in str(response.data), response.content
    assert not ConfigurationItem.objects.exists()


def test_bad_input_gets_field_errors(editor_api):
    response = editor_api.post(CIS, {"name": "sw", "ci_class": "network_device",
                                     "attributes": {"ports": "many", "colour": "red"}})
    assert response.status_code == 400
    assert set(response.data["attributes"]) == {"device_type", "ports", "colour"}
    assert editor_api.post(CIS, {"name": "x", "ci_class": "nope"}).status_code == 400
    assert editor_api.post(CIS, {"name": "x", "ci_class": "server", "owner_team": 2**70}).status_code == 400
    assert editor_api.get(f"{CIS}99999999999999999999999/").status_code == 404
    assert editor_api.get(CIS, {"cursor": "garbage"}).status_code == 400
    assert editor_api.get(CIS, {"attribute": "no-colon"}).status_code == 400


def test_delete_of_a_ci_on_tickets_is_a_conflict(editor_api, make_incident, agent, team):
    from servicedesk import services as desk

    ci = CIFactory()
    desk.ticket_link_cis(ticket=make_incident(), actor=agent, cis=[ci])
    assert editor_api.delete(f"{CIS}{ci.pk}/").status_code == 409


def test_filters(agent_api, cls, team):
    CIFactory(name="web-01", ci_class=cls["virtual_server"], attributes={"os": "linux", "cpu_count": 8},
              support_team=team)
    CIFactory(name="web-02", ci_class=cls["physical_server"], attributes={"os": "windows", "cpu_count": 8},
              status="retired")
    CIFactory(name="db-01", ci_class=cls["database"], attributes={"engine": "mysql"})

    def names(**params):
        response = agent_api.get(CIS, params)
        assert response.status_code == 200, response.data
        return sorted(row["name"] for row in response.data["results"])

    assert names(ci_class="server") == ["web-01", "web-02"]  # subclasses included
    assert names(attribute="os:linux") == ["web-01"]
    assert names(attribute="cpu_count:8") == ["web-01", "web-02"]
    assert names(attribute=["cpu_count:8", "os:windows"]) == ["web-02"]
    assert names(attribute="unknown:1") == []
    assert names(status="in_use", q="web") == ["web-01"]
    assert names(team_id=team.pk) == ["web-01"]


def test_cursor_pagination(agent_api):
    for i in range(5):
        CIFactory(name=f"n{i}")
    first = agent_api.get(CIS, {"page_size": 2})
    second = agent_api.get(first.data["next"])
    assert [r["name"] for r in first.data["results"]] == ["n0", "n1"]
    assert [r["name"] for r in second.data["results"]] == ["n2", "n3"]


def test_classes_list_their_effective_attributes(agent_api, cls):
    response = agent_api.get(f"{CLASSES}{cls['virtual_server'].pk}/")
    keys = {a["key"]: a["declared_by"] for a in response.data["attributes"]}
    assert keys["os"] == "server" and keys["hypervisor"] == "virtual_server"


def test_relationships_crud_and_rules(editor_api, rel_types):
    a, b = CIFactory(name="app"), CIFactory(name="srv")
    created = editor_api.post(RELS, {"source": a.pk, "type": "runs_on", "target": b.pk})
    assert created.status_code == 201 and created.data["name"] == "runs on"
    assert editor_api.post(RELS, {"source": a.pk, "type": "runs_on", "target": b.pk}).status_code == 400
    assert editor_api.post(RELS, {"source": a.pk, "type": "runs_on", "target": a.pk}).status_code == 400
    listed = editor_api.get(RELS, {"ci_id": b.pk})
    assert [r["id"] for r in listed.data["results"]] == [created.data["id"]]
    assert editor_api.delete(f"{RELS}{created.data['id']}/").status_code == 204
    assert not Relationship.objects.exists()


def test_redundancy_groups(editor_api, rel_types):
    cluster = CIFactory(name="cluster")
    rels = [RelationshipFactory(source=cluster, type=rel_types["contains"]) for _ in range(3)]
    response = editor_api.post("/api/v1/cmdb/redundancy-groups/", {
        "ci": cluster.pk, "name": "web", "min_up": 2, "relationships": [r.pk for r in rels]})
    assert response.status_code == 201, response.data
    assert sorted(response.data["members"]) == sorted(r.pk for r in rels)


def test_impact_endpoint(agent_api, rel_types):
    service = ServiceFactory(name="Shop", criticality=1)
    app, srv = CIFactory(name="app"), CIFactory(name="srv")
    RelationshipFactory(source=service, target=app)
    RelationshipFactory(source=app, target=srv, type=rel_types["runs_on"])

    up = agent_api.get(f"{CIS}{srv.pk}/impact/", {"direction": "upstream", "depth": 5})
    assert up.status_code == 200
    assert [(n["name"], n["depth"]) for n in up.data["nodes"]] == [("srv", 0), ("app", 1), ("Shop", 2)]
    assert [s["name"] for s in up.data["services"]] == ["Shop"]
    down = agent_api.get(f"{CIS}{service.pk}/impact/", {"direction": "downstream"})
    assert [n["name"] for n in down.data["nodes"]] == ["Shop", "app", "srv"]
    assert agent_api.get(f"{CIS}{srv.pk}/impact/", {"depth": 999}).status_code == 400
    assert agent_api.get(f"{CIS}{srv.pk}/impact/", {"direction": "sideways"}).status_code == 400


def test_history_endpoint_names_the_actor(editor_api, config_manager):
    created = editor_api.post(CIS, {"name": "srv", "ci_class": "server"})
    editor_api.patch(f"{CIS}{created.data['id']}/", {"location": "DC1"})
    response = editor_api.get(f"{CIS}{created.data['id']}/history/", {"page_size": 1})
    assert response.status_code == 200
    event = response.data["results"][0]
    assert event["event"] == "update" and event["changes"]["location"] == ["", "DC1"]
    assert event["actor"]["username"] == config_manager.username
    older = editor_api.get(response.data["next"])
    assert older.data["results"][0]["event"] == "insert"


def count(client, path, params=None) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path, {"page_size": 100, **(params or {})})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("params", [{}, {"attribute": "os:linux"}, {"ci_class": "server"}])
def test_ci_list_query_count_is_flat(agent_api, team, params):
    def grow(n):
        for _ in range(n):
            CIFactory(support_team=team, owner_team=team, attributes={"os": "linux"})

    grow(3)
    agent_api.get(CIS)
    small = count(agent_api, CIS, params)
    grow(27)
    assert count(agent_api, CIS, params) == small <= 8


def test_relationship_list_and_history_query_counts_are_flat(agent_api, config_manager, rel_types):
    from cmdb import services

    hub = CIFactory()

    def grow(n):
        for _ in range(n):
            other = CIFactory()
            services.relationship_create(actor=config_manager, source=other, target=hub, type=rel_types["runs_on"])
            services.ci_update(ci=hub, actor=config_manager, location=f"L{other.pk}")

    grow(3)
    agent_api.get(RELS)
    small = (count(agent_api, RELS), count(agent_api, f"{CIS}{hub.pk}/history/"))
    grow(27)
    assert (count(agent_api, RELS), count(agent_api, f"{CIS}{hub.pk}/history/")) == small
