"""Imports: dry run reports row by row, apply is atomic, upsert by (source, external id), bad rows, command, API."""

import json

import pytest
from django.core.management import call_command

from cmdb.imports import ci_import, parse_csv
from cmdb.models import ConfigurationItem, Relationship
from esm.errors import NotPermitted

pytestmark = pytest.mark.django_db

CSV = """external_id,name,class,environment,criticality,support_team,attr.os,attr.cpu_count
s1,srv-01,virtual_server,production,2,Service Desk,linux,4
s2,srv-02,physical_server,test,3,,windows,
a1,billing,application,production,1,,,
"""
RELS_CSV = """source,type,target
a1,runs_on,s1
a1,runs_on,s2
"""


def outcomes(report):
    return {(r.kind, r.key): r.outcome for r in report.rows}


def test_dry_run_reports_and_writes_nothing(config_manager, team):
    report = ci_import(actor=config_manager, source="cmdb-scan", cis=parse_csv(CSV),
                       relationships=parse_csv(RELS_CSV, kind="relationships"), dry_run=True)

    assert report.counts == {"created": 5, "changed": 0, "unchanged": 0, "rejected": 0}
    assert not report.applied
    assert not ConfigurationItem.objects.exists() and not Relationship.objects.exists()


def test_apply_then_reimport_is_unchanged_then_changed(config_manager, team):
    first = ci_import(actor=config_manager, source="scan", cis=parse_csv(CSV), relationships=parse_csv(RELS_CSV, kind="relationships"),
                      dry_run=False)
    assert first.applied and first.counts["created"] == 5
    srv = ConfigurationItem.objects.get(source="scan", external_id="s1")
    assert srv.attributes == {"os": "linux", "cpu_count": 4} and srv.support_team == team and srv.criticality == 2
    assert srv.last_seen_at is not None

    again = ci_import(actor=config_manager, source="scan", cis=parse_csv(CSV), relationships=parse_csv(RELS_CSV, kind="relationships"),
                      dry_run=False)
    assert again.counts == {"created": 0, "changed": 0, "unchanged": 5, "rejected": 0}

    changed_csv = CSV.replace("srv-01,virtual_server,production,2", "srv-01,virtual_server,staging,2")
    third = ci_import(actor=config_manager, source="scan", cis=parse_csv(changed_csv), dry_run=False)
    row = next(r for r in third.rows if r.key == "s1")
    assert row.outcome == "changed" and row.changes == ["environment"]
    srv.refresh_from_db()
    assert srv.environment == "staging" and srv.version == 2
    # another source with the same external ids is another set of CIs
    other = ci_import(actor=config_manager, source="other", cis=parse_csv(CSV), dry_run=True)
    assert other.counts["created"] == 3


def test_bad_rows_are_rejected_with_reasons_and_nothing_is_applied(config_manager, team):
    bad = CSV + "s3,srv-03,server,production,9,,beos,x\n,nameless,server,,,,,\ns1,dup,server,,,,,\n"
    report = ci_import(actor=config_manager, source="scan", cis=parse_csv(bad),
                       relationships=[{"source": "s3", "type": "runs_on", "target": "s1"},
                                      {"source": "a1", "type": "teleports", "target": "s1"},
                                      {"source": "s1", "type": "runs_on", "target": "s1"}],
                       dry_run=False)

    rejected = {(r.kind, r.key): r.errors for r in report.rows if r.outcome == "rejected"}
    assert set(rejected[("ci", "s3")]) == {"criticality"}
    assert rejected[("ci", "")] == {"external_id": ["Every row needs an external id."]}
    assert "external_id" in rejected[("ci", "s1")]
    assert set(rejected[("relationship", "s3>runs_on>s1")]) == {"source"}
    assert set(rejected[("relationship", "a1>teleports>s1")]) == {"type"}
    assert "target" in rejected[("relationship", "s1>runs_on>s1")]
    assert not report.applied and not ConfigurationItem.objects.exists()

    # attribute errors are reported per attribute
    attrs = ci_import(actor=config_manager, source="scan", dry_run=True, cis=[
        {"external_id": "x", "name": "x", "class": "server", "attributes": {"os": "beos", "cpu_count": "many"}}])
    assert attrs.rows[0].errors["attributes"] == ["os: Choose one of: linux, windows, unix, other.",
                                                  "cpu_count: Enter a whole number."]


def test_skip_rejected_applies_the_good_rows_whole(config_manager, team):
    rows = parse_csv(CSV) + [{"external_id": "bad", "name": "bad", "class": "nope"}]
    report = ci_import(actor=config_manager, source="scan", cis=rows, dry_run=False, skip_rejected=True)
    assert report.applied and report.counts["rejected"] == 1
    assert ConfigurationItem.objects.count() == 3


def test_imports_are_for_configuration_managers(agent):
    with pytest.raises(NotPermitted):
        ci_import(actor=agent, source="scan", cis=[], dry_run=True)


def test_management_command(tmp_path, capsys, team, config_manager):
    (tmp_path / "cis.csv").write_text(CSV)
    (tmp_path / "rels.json").write_text(json.dumps([{"source": "a1", "type": "runs_on", "target": "s1"}]))
    call_command("cmdb_import", "--source", "scan", "--cis", str(tmp_path / "cis.csv"),
                 "--relationships", str(tmp_path / "rels.json"))
    assert "Dry run" in capsys.readouterr().out and not ConfigurationItem.objects.exists()
    call_command("cmdb_import", "--source", "scan", "--cis", str(tmp_path / "cis.csv"),
                 "--relationships", str(tmp_path / "rels.json"), "--apply", "--user", "config")
    assert "Applied: 4 created" in capsys.readouterr().out
    assert Relationship.objects.count() == 1


def test_api_import(api, config_manager, agent, team):
    client = api(config_manager)
    dry = client.post("/api/v1/cmdb/imports/", {"source": "scan", "cis_csv": CSV, "relationships_csv": RELS_CSV},
                      format="json")
    assert dry.status_code == 200 and dry.data["counts"]["created"] == 5 and not dry.data["applied"]

    bad = client.post("/api/v1/cmdb/imports/", {"source": "scan", "dry_run": False,
                                                "cis": [{"external_id": "x", "name": "x", "class": "nope"}]},
                      format="json")
    assert bad.status_code == 400 and bad.data["rows"][0]["errors"]["class"]

    ok = client.post("/api/v1/cmdb/imports/", {"source": "scan", "dry_run": False, "cis_csv": CSV}, format="json")
    assert ok.status_code == 200 and ok.data["applied"] and ConfigurationItem.objects.count() == 3
