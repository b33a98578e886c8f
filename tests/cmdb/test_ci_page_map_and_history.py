"""The CI page's impact map (size, legend), the "Via" column and the history in words."""

import pghistory
import pytest
from django.urls import reverse

from cmdb import services
from cmdb.factories import CIFactory, RelationshipFactory, ServiceFactory
from incidents.demo import DEMO_SOURCE

pytestmark = pytest.mark.django_db


def test_via_names_the_relationship_and_parent_both_ways(client, agent, rel_types):
    service = ServiceFactory(name="Webshop")
    app, srv = CIFactory(name="shop-app"), CIFactory(name="srv-01")
    RelationshipFactory(source=service, target=app, type=rel_types["depends_on"])
    RelationshipFactory(source=app, target=srv, type=rel_types["runs_on"])
    client.force_login(agent)
    up = client.get(reverse("desk-cmdb:detail", args=[srv.pk]))
    via = {n.name: n.via for n in up.context["impact"].nodes}
    assert via == {"srv-01": "", "shop-app": "runs on srv-01", "Webshop": "depends on shop-app"}
    assert "runs on srv-01" in up.content.decode()
    down = client.get(reverse("desk-cmdb:detail", args=[service.pk]), {"direction": "downstream"})
    assert {n.name: n.via for n in down.context["impact"].nodes} == {
        "Webshop": "", "shop-app": "used by Webshop", "srv-01": "hosts shop-app"}


def test_map_has_a_legend_and_a_capped_zoom(client, agent):
    lonely = CIFactory(name="lonely-01")
    client.force_login(agent)
    html = client.get(reverse("desk-cmdb:detail", args=[lonely.pk])).content.decode()
    legend = html[html.index('class="esm-legend'):]
    legend = legend[:legend.index("</ul>")]
    for text in ("the failing CI (this one)", "business service", "has open tickets", "arrow:"):
        assert text in legend, text
    from pathlib import Path

    from django.contrib.staticfiles import finders

    script = Path(finders.find("cmdb/impact.js")).read_text(encoding="utf-8")
    assert "maxZoom: 1.5" in script, "a single node is not drawn as one giant circle"


def test_history_in_words_with_the_right_actor(client, agent, config_manager, team, other_team):
    ci = services.ci_create(actor=config_manager, ci_class=CIFactory().ci_class, name="mail-01", support_team=team)
    services.ci_update(ci=ci, actor=config_manager, support_team=other_team, status="retired")
    client.force_login(agent)
    html = client.get(reverse("desk-cmdb:detail", args=[ci.pk])).content.decode()
    history = html[html.index('id="h-history"'):]
    assert "Created" in history and "Changed" in history
    assert "support team: Service Desk → Network" in history
    assert "Retired" in history and "ConfigurationItem" not in history and " insert" not in history
    assert "Cora Yoon" in history


def test_demo_data_is_credited_to_the_seeding_not_to_the_last_agent(client, agent, rel_types):
    with pghistory.context(source=DEMO_SOURCE, actor=None):
        app, srv = CIFactory(name="demo-app"), CIFactory(name="demo-srv")
        services.relationship_create(actor=None, source=app, target=srv, type=rel_types["runs_on"])
    client.force_login(agent)
    html = client.get(reverse("desk-cmdb:detail", args=[app.pk])).content.decode()
    history = html[html.index('id="h-history"'):]
    assert "system (demo data)" in history and "Relationship added" in history
    assert "demo-app runs on demo-srv" in history
    assert "incident_open" not in history and "relationship_create" not in history
