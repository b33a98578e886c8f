"""The console import page: preview (dry run) then apply what was previewed; bad input is a form error; editors only."""

import json
from pathlib import Path

import pghistory.models
import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cmdb import imports
from cmdb.factories import CIFactory
from cmdb.import_views import SESSION_KEY
from cmdb.models import ConfigurationItem, Relationship

pytestmark = pytest.mark.django_db

URL = "/desk/cmdb/import/"
CSV = b"""external_id,name,class,environment,criticality,attr.os,attr.cpu_count
s1,srv-01,virtual_server,production,2,linux,4
s2,srv-02,physical_server,test,3,windows,
a1,billing,application,production,1,,
"""
RELS = b"source,type,target\na1,runs_on,s1\na1,runs_on,s2\n"
BAD_ROW = b"s9,srv-09,server,production,9,beos,\n"  # criticality 9 and os beos are rejected


def upload(data=CSV, name="cis.csv"):
    return SimpleUploadedFile(name, data, content_type="text/csv")


@pytest.fixture
def editor(client, config_manager):
    client.force_login(config_manager)
    return client


def preview(client, cis=CSV, rels=None, source="scan", skip=False, **extra):
    data = {"action": "preview", "source": source, **extra}
    if cis is not None:
        data["cis_file"] = upload(cis) if isinstance(cis, bytes) else cis
    if rels is not None:
        data["relationships_file"] = upload(rels, "rels.csv")
    if skip:
        data["skip_rejected"] = "on"
    return client.post(URL, data)


def apply(client, response, **extra):
    return client.post(URL, {"action": "apply", "token": response.context["pending"]["token"], **extra})


def test_url_name():
    assert reverse("desk-cmdb:import") == URL


def test_preview_reports_row_by_row_and_writes_nothing(editor):
    response = preview(editor, rels=RELS)

    assert response.status_code == 200
    assert response.context["stage"] == "preview"
    assert response.context["counts"] == {"created": 5, "changed": 0, "unchanged": 0, "rejected": 0}
    html = response.content.decode()
    assert "srv-01" in html and "a1&gt;runs_on&gt;s1" in html and 'name="token"' in html
    assert not ConfigurationItem.objects.exists() and not Relationship.objects.exists()
    assert editor.session[SESSION_KEY] == response.context["pending"]["token"]


def test_apply_writes_what_was_previewed_with_history(editor, config_manager, cls):
    CIFactory(source="scan", external_id="s2", name="srv-02", environment="production")  # a plain server
    response = preview(editor, rels=RELS)
    assert response.context["counts"]["changed"] == 1
    changed = next(line for line in response.context["lines"] if line.outcome == "changed")
    assert "class" in changed.changes and "environment" in changed.changes

    applied = apply(editor, response)

    assert applied.status_code == 200 and applied.context["stage"] == "applied"
    assert applied.context["counts"] == {"created": 4, "changed": 1, "unchanged": 0, "rejected": 0}
    assert "Import applied" in applied.content.decode()
    srv = ConfigurationItem.objects.get(source="scan", external_id="s1")
    assert srv.attributes == {"os": "linux", "cpu_count": 4} and srv.criticality == 2
    updated = ConfigurationItem.objects.get(source="scan", external_id="s2")
    assert updated.ci_class.slug == "physical_server" and updated.version == 2
    assert Relationship.objects.filter(source__external_id="a1").count() == 2
    event = pghistory.models.Events.objects.filter(pgh_obj_model="cmdb.ConfigurationItem",
                                                   pgh_obj_id=str(srv.pk)).first()
    assert event.pgh_context["service"] == "ci_import" and event.pgh_context["actor"] == config_manager.pk
    assert SESSION_KEY not in editor.session

    # the preview is spent: applying it again is refused, nothing more is written
    again = editor.post(URL, {"action": "apply", "token": response.context["pending"]["token"]}, follow=True)
    assert "no longer available" in again.content.decode()
    assert ConfigurationItem.objects.count() == 3


def test_apply_uses_the_kept_rows_not_a_new_upload(editor):
    response = preview(editor)
    # a second tab previews another file: the first tab's Apply no longer names the kept preview
    other = preview(editor, cis=b"external_id,name,class\nz1,zed,server\n")
    stale = editor.post(URL, {"action": "apply", "token": response.context["pending"]["token"]}, follow=True)
    assert "no longer available" in stale.content.decode() and not ConfigurationItem.objects.exists()

    assert apply(editor, other).context["stage"] == "applied", other.context["form"].errors
    assert list(ConfigurationItem.objects.values_list("external_id", flat=True)) == ["z1"]


def test_rejected_rows_with_skip_off_write_nothing_and_the_page_says_so(editor):
    response = preview(editor, cis=CSV + BAD_ROW)
    assert response.context["counts"]["rejected"] == 1
    html = response.content.decode()
    assert "Skip the 1 rejected row" in html and "<code>criticality</code>: Enter 1, 2, 3 or 4." in html

    refused = apply(editor, response)

    assert refused.status_code == 200 and refused.context.get("refused")
    assert "Nothing was written" in refused.content.decode()
    assert not ConfigurationItem.objects.exists()
    # the preview is kept: skipping the bad row now writes the good ones
    skipped = apply(editor, response, skip_rejected="on")
    assert skipped.context["stage"] == "applied"
    assert set(ConfigurationItem.objects.values_list("external_id", flat=True)) == {"s1", "s2", "a1"}


def test_skip_on_at_upload_writes_only_the_good_rows(editor):
    response = preview(editor, cis=CSV + BAD_ROW, skip=True)
    assert 'id="apply-skip" value="on" checked' in response.content.decode()

    applied = apply(editor, response, skip_rejected="on")

    assert applied.context["stage"] == "applied" and applied.context["counts"]["rejected"] == 1
    assert ConfigurationItem.objects.count() == 3
    assert not ConfigurationItem.objects.filter(external_id="s9").exists()


def test_apply_refused_when_the_cmdb_changed_since_the_preview(editor, config_manager):
    from cmdb import services

    response = preview(editor)
    srv = CIFactory(source="scan", external_id="s1", name="srv-01", environment="staging")
    assert srv  # created after the preview: the row would now change it instead of creating it

    drifted = apply(editor, response)

    assert drifted.context.get("drifted") and "CMDB changed since your preview" in drifted.content.decode()
    assert ConfigurationItem.objects.count() == 1
    # the new preview can be applied
    applied = apply(editor, response)
    assert applied.context["stage"] == "applied"
    srv.refresh_from_db()
    assert srv.environment == "production"
    services.ci_update(ci=srv, actor=config_manager, name="renamed")  # services still work on it


def test_json_upload_with_relationships_inside(editor):
    payload = {"cis": [{"external_id": "s1", "name": "srv-01", "class": "server", "attributes": {"os": "linux"}},
                       {"external_id": "a1", "name": "app", "class": "application"}],
               "relationships": [{"source": "a1", "type": "runs_on", "target": "s1"}]}
    response = preview(editor, cis=upload(json.dumps(payload).encode(), "estate.json"))
    assert response.context["counts"]["created"] == 3

    apply(editor, response)
    assert Relationship.objects.get().source.external_id == "a1"


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"cis": None}, "cis_file", "Choose a file to import."),
    ({"cis": upload(b"\x89PNG\r\n", "estate.png")}, "cis_file", "Upload a .csv or .json file."),
    ({"cis": upload(b"external_id,name\n\xff\xfe\xfa,x\n")}, "cis_file", "not UTF-8"),
    ({"cis": upload(b"external_id,name\x00\n")}, "cis_file", "invalid characters"),
    ({"cis": upload(b"hostname,name\nx,y\n")}, "cis_file", "The header needs the columns external_id."),
    ({"cis": upload(b"external_id,name,name\nx,y,z\n")}, "cis_file", "names these columns twice: name"),
    ({"cis": upload(b"external_id,hostname\nx,y\n")}, "cis_file", "Unknown columns: hostname."),
    ({"cis": upload(b"external_id,name\n")}, None, "The files hold no rows to import."),
    ({"cis": upload(b"")}, "cis_file", "empty"),
    ({"cis": upload(b'{"cis": [', "estate.json")}, "cis_file", "not valid JSON (line 1"),
    ({"cis": upload(b'"rows"', "estate.json")}, "cis_file", "Expected a list of rows"),
    # JSON escapes PostgreSQL cannot store: NUL, an unpaired surrogate (in a value and in a key).
    ({"cis": upload(b'[{"external_id": "e\\u0000"}]', "estate.json")}, "cis_file", "invalid characters"),
    ({"cis": upload(b'[{"external_id": "e", "name": "\\ud800", "class": "server"}]', "estate.json")},
     "cis_file", "invalid characters"),
    ({"cis": upload(b'{"cis": [{"external_id": "e", "attributes": {"\\udfff": 1}}]}', "estate.json")},
     "cis_file", "invalid characters"),
    ({"rels": b"source,target\na,b\n"}, "relationships_file", "The header needs the columns type."),
    ({"source": ""}, "source", "This field is required."),
    ({"source": "x" * 61}, "source", "at most 60 characters"),
])
def test_bad_input_is_a_form_error(editor, data, field, message):
    kwargs = {"cis": data.get("cis", CSV), "source": data.get("source", "scan")}
    if "rels" in data:
        kwargs["rels"] = data["rels"]
    response = preview(editor, **kwargs)

    assert response.status_code == 200
    form = response.context["form"]
    errors = form.errors.get(field if field else "__all__")
    assert errors and any(message in e for e in errors), form.errors
    assert response.context["stage"] == "upload" and SESSION_KEY not in editor.session
    assert not ConfigurationItem.objects.exists()


def test_a_very_long_file_name_still_applies(editor):
    response = preview(editor, cis=upload(CSV, "x" * 250 + ".csv"))
    assert response.context["stage"] == "preview"
    applied = apply(editor, response)
    assert applied.context["stage"] == "applied" and ConfigurationItem.objects.count() == 3


def test_too_many_rows_and_too_large_files_are_form_errors(editor, monkeypatch):
    monkeypatch.setattr(imports, "MAX_ROWS", 2)
    response = preview(editor)
    assert response.status_code == 200
    assert "Import at most 2 CIs at a time." in response.context["form"].errors["cis_file"]

    monkeypatch.setattr("cmdb.forms.ImportForm.UPLOAD_MAX_BYTES", 10)
    response = preview(editor)
    assert response.status_code == 200 and "larger than" in response.context["form"].errors["cis_file"][0]
    assert not ConfigurationItem.objects.exists()


def test_an_expired_preview_is_not_applied(editor):
    response = preview(editor)
    cache.clear()  # what the time limit (or an eviction) does
    expired = editor.post(URL, {"action": "apply", "token": response.context["pending"]["token"]}, follow=True)
    assert "no longer available" in expired.content.decode() and not ConfigurationItem.objects.exists()
    assert editor.post(URL, {"action": "apply", "token": ""}, follow=True).status_code == 200


def test_who_may_import(client, agent, requester):
    assert client.get(URL).status_code == 302 and "/login" in client.get(URL)["Location"]
    client.force_login(requester)
    assert client.get(URL)["Location"] == reverse("portal:home")
    client.force_login(agent)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"action": "preview", "source": "scan", "cis_file": upload()}).status_code == 403
    assert client.post(URL, {"action": "apply", "token": "x"}).status_code == 403
    assert not ConfigurationItem.objects.exists()


def test_list_links_to_the_import_for_editors_only(client, agent, config_manager):
    client.force_login(agent)
    assert URL not in client.get(reverse("desk-cmdb:list")).content.decode()
    client.force_login(config_manager)
    assert f'href="{URL}"' in client.get(reverse("desk-cmdb:list")).content.decode()


def test_page_explains_the_columns_and_the_examples_import_cleanly(editor, config_manager):
    html = editor.get(URL).content.decode()
    assert "attr.&lt;key&gt;" in html and "virtual_server" in html and "runs_on" in html
    assert "import-example-cis.csv" in html

    folder = Path(settings.BASE_DIR) / "cmdb" / "static" / "cmdb"
    _t, cis, _r = imports.read_file("cis.csv", (folder / "import-example-cis.csv").read_bytes())
    _t, _c, relationships = imports.read_file("rels.csv", (folder / "import-example-relationships.csv").read_bytes(),
                                              kind=imports.RELATIONSHIPS)
    report = imports.ci_import(actor=config_manager, source="example", cis=cis, relationships=relationships)
    assert report.counts == {"created": len(cis) + len(relationships), "changed": 0, "unchanged": 0, "rejected": 0}
