"""Console pages of the CMDB: who may see and edit, list filters, the CI page, forms, relate, stale list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cmdb.factories import CIFactory, RelationshipFactory, ServiceFactory
from cmdb.models import ConfigurationItem, Relationship

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client, config_manager):
    client.force_login(config_manager)
    return client


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def test_anonymous_go_to_login_requesters_are_refused(client, requester):
    ci = CIFactory()
    urls = [reverse("desk-cmdb:list"), reverse("desk-cmdb:detail", args=[ci.pk]), reverse("desk-cmdb:stale"),
            reverse("desk-cmdb:create"), reverse("desk-cmdb:edit", args=[ci.pk]), reverse("desk-cmdb:lookup")]
    for url in urls:
        assert client.get(url).status_code == 302
    client.force_login(requester)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("portal:home"), url


def test_agents_read_but_cannot_edit(agent_client):
    ci = CIFactory()
    assert agent_client.get(reverse("desk-cmdb:list")).status_code == 200
    page = agent_client.get(reverse("desk-cmdb:detail", args=[ci.pk]))
    assert page.status_code == 200 and reverse("desk-cmdb:edit", args=[ci.pk]) not in page.content.decode()
    assert agent_client.get(reverse("desk-cmdb:create")).status_code == 403
    assert agent_client.post(reverse("desk-cmdb:edit", args=[ci.pk]), {"name": "x"}).status_code == 403
    assert agent_client.post(reverse("desk-cmdb:relate", args=[ci.pk]), {}).status_code == 403


def test_list_filters_and_flat_query_count(agent_client, cls, team):
    CIFactory(name="web-01", ci_class=cls["virtual_server"], attributes={"os": "linux"}, support_team=team)
    CIFactory(name="db-01", ci_class=cls["database"])
    url = reverse("desk-cmdb:list")

    page = agent_client.get(url, {"ci_class": "server", "attribute": "os:linux"})
    assert [ci.name for ci in page.context["page"].items] == ["web-01"]

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert agent_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small = queries()
    for _ in range(30):
        CIFactory(support_team=team, owner_team=team)
    assert queries() == small


def test_ci_page_shows_relationships_both_ways_impact_tickets_and_history(agent_client, rel_types, make_incident,
                                                                          agent, team):
    from servicedesk import services as desk

    service = ServiceFactory(name="Webshop")
    app, srv = CIFactory(name="shop-app"), CIFactory(name="srv-01")
    RelationshipFactory(source=service, target=app)
    RelationshipFactory(source=app, target=srv, type=rel_types["runs_on"])
    incident = make_incident(title="shop down")
    desk.ticket_link_cis(ticket=incident, actor=agent, cis=[app])

    page = agent_client.get(reverse("desk-cmdb:detail", args=[app.pk]))
    html = page.content.decode()
    assert "runs on" in html and "used by" in html and "srv-01" in html and "Webshop" in html
    assert incident.number in html
    assert [s.name for s in page.context["impact"].services] == ["Webshop"]
    assert page.context["graph"]["elements"]
    down = agent_client.get(reverse("desk-cmdb:detail", args=[app.pk]), {"direction": "downstream", "depth": "x"})
    assert [n.name for n in down.context["impact"].nodes] == ["shop-app", "srv-01"]
    assert agent_client.get(reverse("desk-cmdb:detail", args=[10**30])).status_code == 404


def test_create_with_class_attributes_and_errors_keep_input(editor_client, cls):
    url = reverse("desk-cmdb:create")
    form = editor_client.get(url, {"ci_class": cls["network_device"].pk})
    assert "attr_device_type" in form.context["form"].fields

    bad = editor_client.post(url, {"name": "core-sw", "ci_class": cls["network_device"].pk, "status": "in_use",
                                   "environment": "production", "criticality": 1, "attr_ports": "lots"})
    assert bad.status_code == 400
    assert bad.context["form"].errors.keys() >= {"attr_device_type", "attr_ports"}
    assert 'value="core-sw"' in bad.content.decode()

    ok = editor_client.post(url, {"name": "core-sw", "ci_class": cls["network_device"].pk, "status": "in_use",
                                  "environment": "production", "criticality": 1, "attr_device_type": "switch",
                                  "attr_ports": "48"})
    ci = ConfigurationItem.objects.get(name="core-sw")
    assert ok.status_code == 302 and ci.attributes == {"device_type": "switch", "ports": 48}


def test_attribute_fields_follow_the_class(editor_client, cls):
    response = editor_client.get(reverse("desk-cmdb:attribute_fields"), {"ci_class": cls["cloud_resource"].pk})
    assert 'name="attr_provider"' in response.content.decode()


def test_edit_refuses_a_stale_version_and_keeps_input(editor_client, config_manager, cls):
    from cmdb import services

    ci = services.ci_create(actor=config_manager, ci_class=cls["server"], name="srv")
    url = reverse("desk-cmdb:edit", args=[ci.pk])
    data = {"version": 1, "name": "srv-renamed", "ci_class": cls["server"].pk, "status": "in_use",
            "environment": "production", "criticality": 3}
    services.ci_update(ci=ci, actor=config_manager, location="DC9")

    stale = editor_client.post(url, data)
    assert stale.status_code == 409 and 'value="srv-renamed"' in stale.content.decode()
    data["version"] = 2
    assert editor_client.post(url, data).status_code == 302
    ci.refresh_from_db()
    assert ci.name == "srv-renamed" and ci.version == 3


def test_relate_and_remove(editor_client, rel_types):
    a, b = CIFactory(name="app"), CIFactory(name="srv")
    lookup = editor_client.get(reverse("desk-cmdb:lookup"), {"q": "sr", "exclude": a.pk})
    assert list(lookup.context["results"]) == [b]
    editor_client.post(reverse("desk-cmdb:relate", args=[a.pk]),
                       {"rel-direction": "out", "rel-type": "runs_on", "rel-other": b.pk})
    relationship = Relationship.objects.get()
    assert (relationship.source, relationship.target) == (a, b)
    again = editor_client.post(reverse("desk-cmdb:relate", args=[a.pk]),
                               {"rel-direction": "out", "rel-type": "runs_on", "rel-other": b.pk}, follow=True)
    assert "already" in again.content.decode()
    editor_client.post(reverse("desk-cmdb:relationship_delete", args=[b.pk, relationship.pk]))
    assert not Relationship.objects.exists()


def test_stale_list(editor_client):
    from django.utils import timezone

    ci = CIFactory(name="gone", source="scan", external_id="1", stale_since=timezone.now())
    CIFactory(name="fresh")
    page = editor_client.get(reverse("desk-cmdb:stale"))
    assert [c.name for c in page.context["page"].items] == ["gone"]
    editor_client.post(reverse("desk-cmdb:clear_stale", args=[ci.pk]), {"next": "stale"})
    ci.refresh_from_db()
    assert ci.stale_since is None


def test_redundancy_group_from_the_ci_page_changes_the_impact(editor_client, agent, rel_types):
    from django.test import Client

    from cmdb.impact import UPSTREAM, impact_analysis
    from cmdb.models import RedundancyGroup

    web = CIFactory(name="web")
    nodes = [CIFactory(name=f"node-{i}") for i in range(3)]
    rels = [RelationshipFactory(source=web, target=n) for n in nodes]
    page = editor_client.get(reverse("desk-cmdb:detail", args=[web.pk])).content.decode()
    assert "Group redundant relationships" in page
    assert any(n.id == web.pk for n in impact_analysis(nodes[0], direction=UPSTREAM).nodes), "no group yet"
    create = reverse("desk-cmdb:redundancy_create", args=[web.pk])
    refused = editor_client.post(create, {"name": "", "min_up": "0", "relationships": [r.pk for r in rels]},
                                 follow=True)
    assert "Give the group a name" in refused.content.decode() and not RedundancyGroup.objects.exists()
    editor_client.post(create, {"name": "Web farm", "min_up": "2", "relationships": [r.pk for r in rels]})
    group = RedundancyGroup.objects.get(ci=web)
    assert group.min_up == 2 and set(group.relationships.values_list("pk", flat=True)) == {r.pk for r in rels}
    assert not any(n.id == web.pk for n in impact_analysis(nodes[0], direction=UPSTREAM).nodes), \
        "one node down of three: the farm serves"
    reader = Client()
    reader.force_login(agent)
    assert reader.post(reverse("desk-cmdb:redundancy_delete", args=[web.pk, group.pk])).status_code == 403
    editor_client.post(reverse("desk-cmdb:redundancy_delete", args=[web.pk, group.pk]))
    assert not RedundancyGroup.objects.exists() and Relationship.objects.filter(source=web).count() == 3
