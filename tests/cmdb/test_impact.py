"""Impact analysis: upstream/downstream, depth, cycles, diamonds, retired CIs, redundancy groups, tickets."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cmdb.choices import LifecycleStatus
from cmdb.factories import CIFactory, RedundancyGroupFactory, RelationshipFactory, ServiceFactory
from cmdb.impact import affected_services, blast_radius, impact_analysis
from servicedesk import services as desk

pytestmark = pytest.mark.django_db


def names(result, **filters):
    return {n.name: n.depth for n in result.nodes if all(getattr(n, k) == v for k, v in filters.items())}


def test_upstream_follows_dependents_with_depth_and_a_parent_on_a_shortest_path(graph):
    g = graph("svc>app", "app>srv", "srv>switch", "db>srv")

    result = impact_analysis(g["switch"], direction="upstream")

    assert names(result) == {"switch": 0, "srv": 1, "app": 2, "db": 2, "svc": 3}
    by_name = {n.name: n for n in result.nodes}
    assert by_name["svc"].parent_id == g["app"].pk
    assert by_name["app"].parent_id == g["srv"].pk
    assert by_name["switch"].parent_id is None
    assert result.total == 5 and not result.truncated


def test_downstream_follows_dependencies(graph):
    g = graph("svc>app", "app>srv", "srv>switch", "db>srv")

    result = impact_analysis(g["app"], direction="downstream")

    assert names(result) == {"app": 0, "srv": 1, "switch": 2}


def test_cycles_terminate_and_each_node_appears_once(graph):
    g = graph("a>b", "b>c", "c>a", "d>c")

    result = impact_analysis(g["a"], direction="upstream", depth=25)

    assert names(result) == {"a": 0, "c": 1, "b": 2, "d": 2}
    assert len(result.nodes) == 4


def test_diamond_keeps_the_shortest_depth_once(graph):
    # top depends on left and right, both depend on bottom; top also depends on bottom through a long chain
    g = graph("top>left", "top>right", "left>bottom", "right>bottom", "top>x1", "x1>x2", "x2>x3", "x3>bottom")

    result = impact_analysis(g["bottom"], direction="upstream")

    assert names(result)["top"] == 2
    assert [n.name for n in result.nodes].count("top") == 1
    assert {n.name: n for n in result.nodes}["top"].parent_id in {g["left"].pk, g["right"].pk}


def test_depth_limit(graph):
    g = graph("a>b", "b>c", "c>d", "d>e")

    assert names(impact_analysis(g["e"], depth=2)) == {"e": 0, "d": 1, "c": 2}


def test_retired_and_disposed_cis_are_not_traversed(graph):
    g = graph("svc>app", "app>srv", "other>srv")
    g["app"].status = LifecycleStatus.RETIRED
    g["app"].save()
    g["other"].status = LifecycleStatus.DISPOSED
    g["other"].save()

    assert names(impact_analysis(g["srv"])) == {"srv": 0}


def test_types_that_do_not_propagate_impact_are_not_followed(graph, rel_types):
    g = graph("app>srv")
    backup = CIFactory(name="backup")
    RelationshipFactory(source=g["srv"], target=backup, type=rel_types["backed_up_by"])

    assert names(impact_analysis(backup)) == {"backup": 0}


def test_redundancy_group_passes_impact_only_below_min_up(graph, rel_types):
    # A web cluster with three members must keep two up.
    cluster = CIFactory(name="cluster")
    service = ServiceFactory(name="shop")
    RelationshipFactory(source=service, target=cluster)
    group = RedundancyGroupFactory(ci=cluster, name="web", min_up=2)
    web = [CIFactory(name=f"web{i}") for i in range(3)]
    for member in web:
        RelationshipFactory(source=cluster, target=member, type=rel_types["contains"], redundancy_group=group)

    one_down = impact_analysis(web[0])
    assert names(one_down) == {"web0": 0}

    two_down = impact_analysis([web[0], web[1]])
    assert names(two_down) == {"web0": 0, "web1": 0, "cluster": 1, "shop": 2}
    cluster_node = {n.name: n for n in two_down.nodes}["cluster"]
    assert cluster_node.via_group == "web" and cluster_node.parent_id in {web[0].pk, web[1].pk}
    assert [s.name for s in two_down.services] == ["shop"]


def test_a_retired_member_no_longer_counts_as_up(rel_types):
    cluster = CIFactory(name="cluster")
    group = RedundancyGroupFactory(ci=cluster, min_up=2)
    web = [CIFactory(name=f"web{i}") for i in range(3)]
    for member in web:
        RelationshipFactory(source=cluster, target=member, type=rel_types["contains"], redundancy_group=group)
    web[2].status = LifecycleStatus.RETIRED
    web[2].save()

    assert "cluster" in names(impact_analysis(web[0]))


def test_nested_redundancy_and_ungrouped_edges_together(graph, rel_types):
    # core1/core2 back each other up for dist; dist feeds srv directly.
    g = graph("srv>dist")
    dist = g["dist"]
    group = RedundancyGroupFactory(ci=dist, min_up=1)
    core1, core2 = CIFactory(name="core1"), CIFactory(name="core2")
    for core in (core1, core2):
        RelationshipFactory(source=dist, target=core, type=rel_types["connects_to"], redundancy_group=group)

    assert names(impact_analysis(core1)) == {"core1": 0}
    assert names(impact_analysis([core1, core2])) == {"core1": 0, "core2": 0, "dist": 1, "srv": 2}


def test_groups_tripped_in_one_round_at_different_depths_all_carry_on(graph, rel_types):
    # x fails. near (depth 1) loses its only member x; far (depth 3) loses y, two levels up from x.
    # The next round starts at depth 1 and depth 3 with nothing at depth 2: the walk must not stop there.
    g = graph("w>x", "y>w", "svc>far")
    near, far = CIFactory(name="near"), g["far"]
    for owner, member in ((near, g["x"]), (far, g["y"])):
        group = RedundancyGroupFactory(ci=owner, min_up=1)
        RelationshipFactory(source=owner, target=member, type=rel_types["connects_to"], redundancy_group=group)

    result = impact_analysis(g["x"])

    assert names(result) == {"x": 0, "w": 1, "near": 1, "y": 2, "far": 3, "svc": 4}
    by_name = {n.name: n for n in result.nodes}
    assert by_name["far"].parent_id == g["y"].pk and by_name["svc"].parent_id == far.pk


def test_a_group_trips_when_its_last_member_falls_in_a_later_round(graph, rel_types):
    # Two mailbox servers keep "mail" up. a fails directly; b only falls in the second round, when
    # its own redundant pair (disk1, disk2) is gone. Only then does mail go down (through its
    # first affected member, a).
    mail, a, b = CIFactory(name="mail"), CIFactory(name="a"), CIFactory(name="b")
    pair = RedundancyGroupFactory(ci=mail, min_up=1)
    for member in (a, b):
        RelationshipFactory(source=mail, target=member, type=rel_types["depends_on"], redundancy_group=pair)
    disks = RedundancyGroupFactory(ci=b, min_up=1)
    d1, d2 = CIFactory(name="disk1"), CIFactory(name="disk2")
    for disk in (d1, d2):
        RelationshipFactory(source=b, target=disk, type=rel_types["depends_on"], redundancy_group=disks)

    assert names(impact_analysis([a, d1])) == {"a": 0, "disk1": 0}
    assert names(impact_analysis([a, d1, d2])) == {"a": 0, "disk1": 0, "disk2": 0, "b": 1, "mail": 1}


def test_a_member_related_twice_counts_once(rel_types):
    cluster = CIFactory(name="cluster")
    group = RedundancyGroupFactory(ci=cluster, min_up=2)
    a, b = CIFactory(name="a"), CIFactory(name="b")
    RelationshipFactory(source=cluster, target=a, type=rel_types["contains"], redundancy_group=group)
    for kind in ("contains", "depends_on"):
        RelationshipFactory(source=cluster, target=b, type=rel_types[kind], redundancy_group=group)

    assert names(impact_analysis(a)) == {"a": 0, "cluster": 1}


def test_a_tripped_group_passes_impact_through_its_shallowest_member(graph, rel_types):
    # far (the smaller id) is one level up from x; x itself is the other member. The owner is one
    # level above x, not two.
    g = graph("far>x")
    owner = CIFactory(name="owner")
    group = RedundancyGroupFactory(ci=owner, min_up=1)
    for member in (g["far"], g["x"]):
        RelationshipFactory(source=owner, target=member, type=rel_types["connects_to"], redundancy_group=group)
    assert g["far"].pk < g["x"].pk

    result = impact_analysis(g["x"])

    assert names(result) == {"x": 0, "far": 1, "owner": 1}
    assert {n.name: n for n in result.nodes}["owner"].parent_id == g["x"].pk


def test_each_node_carries_its_open_tickets(graph, make_incident, agent, team):
    g = graph("app>srv")
    svc = ServiceFactory(name="svc")
    RelationshipFactory(source=svc, target=g["app"])
    incident = make_incident(title="srv down")
    desk.ticket_link_cis(ticket=incident, actor=agent, cis=[g["srv"]])
    make_incident(title="app slow", service=svc)

    nodes = {n.name: n for n in impact_analysis(g["srv"]).nodes}

    assert nodes["srv"].open_incidents == 1
    assert nodes["svc"].open_incidents == 1
    assert nodes["app"].open_total == 0


def test_affected_services_and_blast_radius(rel_types):
    payroll = ServiceFactory(name="Payroll", criticality=1)
    mail = ServiceFactory(name="Mail", criticality=3)
    app, srv = CIFactory(name="app"), CIFactory(name="srv")
    RelationshipFactory(source=payroll, target=app)
    RelationshipFactory(source=mail, target=srv)
    RelationshipFactory(source=app, target=srv, type=rel_types["runs_on"])

    assert [s.name for s in affected_services([srv.pk])] == ["Payroll", "Mail"]
    radius = blast_radius([app.pk])
    assert radius["count"] == 1 and radius["by_criticality"][1] == 1
    assert [s.name for s in radius["services"]] == ["Payroll"]


def test_query_count_does_not_grow_with_the_graph(graph):
    small = graph("a>b", "b>c")
    with CaptureQueriesContext(connection) as few:
        impact_analysis(small["c"])
    big = graph(*[f"n{i}>hub" for i in range(40)], *[f"m{i}>n{i}" for i in range(40)])
    with CaptureQueriesContext(connection) as many:
        result = impact_analysis(big["hub"])
    assert len(result.nodes) == 81
    assert len(few.captured_queries) == len(many.captured_queries)


def test_node_limit_keeps_every_service(graph):
    g = graph(*[f"n{i}>hub" for i in range(10)])
    service = ServiceFactory(name="svc")
    RelationshipFactory(source=service, target=g["n3"])

    result = impact_analysis(g["hub"], limit=3)

    assert result.truncated and result.total == 12
    assert "svc" in names(result) and len(result.nodes) == 4
