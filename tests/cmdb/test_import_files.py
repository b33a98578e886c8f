"""Reading import files: one set of functions (cmdb.imports) for the command, the API and the console page."""

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from cmdb.imports import RELATIONSHIPS, ci_import, parse_csv, read_file
from cmdb.models import ConfigurationItem, Relationship

pytestmark = pytest.mark.django_db


def test_csv_json_and_their_errors():
    text, cis, relationships = read_file("a.CSV", "\ufeffexternal_id,name,attr.os\nx1,한글 서버,linux\n".encode())
    assert cis == [{"external_id": "x1", "name": "한글 서버", "attributes": {"os": "linux"}}] and relationships == []
    assert text.startswith("external_id")

    both = json.dumps({"cis": [{"external_id": "x1"}], "relationships": [{"source": "x1"}]}).encode()
    assert read_file("a.json", both, kind=RELATIONSHIPS)[1:] == ([{"external_id": "x1"}], [{"source": "x1"}])
    assert read_file("r.json", b'[{"source": "a"}]', kind=RELATIONSHIPS)[1:] == ([], [{"source": "a"}])
    assert read_file("r.csv", b"source,type,target\na,runs_on,b\n", kind=RELATIONSHIPS)[2] == [
        {"source": "a", "type": "runs_on", "target": "b"}]

    for name, content, message in [
        ("a.xlsx", b"PK", "Upload a .csv or .json file."),
        ("a.csv", "external_id\n서버\n".encode("cp949"), "not UTF-8"),
        ("a.csv", b"external_id,,name\n", "Column 2 of the header has no name."),
        ("a.csv", b"external_id,name\nx," + b"y" * 200000 + b"\n", "not valid CSV (line 2)"),
        ("a.json", b'{"cis": [], "extra": 1}', "Expected a list of rows"),
        ("a.json", b"[" * 100000, "not valid JSON"),
    ]:
        with pytest.raises(ValidationError) as exc:
            read_file(name, content)
        assert message in exc.value.messages[0], (name, exc.value.messages)


def test_a_row_with_more_cells_than_the_header_is_rejected(config_manager):
    report = ci_import(actor=config_manager, source="scan", cis=parse_csv("external_id,name,class\nx,y,server,extra\n"))
    assert report.rows[0].errors == {"row": ["This row has more cells than the header has columns."]}


def test_api_reports_a_bad_csv_header_on_its_field(api, config_manager):
    response = api(config_manager).post("/api/v1/cmdb/imports/", {"source": "scan", "cis_csv": "hostname\nx\n",
                                                                  "relationships_csv": "a,b\n"}, format="json")
    assert response.status_code == 400
    assert response.data == {"cis_csv": ["The header needs the columns external_id."]}


def test_command_reads_files_like_the_page(tmp_path, capsys, config_manager):
    (tmp_path / "estate.json").write_text(json.dumps({
        "cis": [{"external_id": "s1", "name": "srv", "class": "server"}, {"external_id": "a1", "name": "app",
                                                                          "class": "application"}],
        "relationships": [{"source": "a1", "type": "runs_on", "target": "s1"}]}))
    call_command("cmdb_import", "--source", "scan", "--relationships", str(tmp_path / "estate.json"), "--apply")
    assert "Applied: 3 created" in capsys.readouterr().out
    assert ConfigurationItem.objects.count() == 2 and Relationship.objects.count() == 1

    (tmp_path / "bad.csv").write_text("hostname\nx\n")
    with pytest.raises(CommandError, match="The header needs the columns external_id"):
        call_command("cmdb_import", "--source", "scan", "--cis", str(tmp_path / "bad.csv"))
