"""A vendored library that is missing (never fetched, wiped) leaves its page working, without the chart."""

import pytest
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import StaticFilesStorage

from cmdb.factories import CIFactory

pytestmark = pytest.mark.django_db


class ManifestLikeStorage(StaticFilesStorage):
    """Refuses a URL for a file no finder has, as the manifest storage does in production."""

    def url(self, name):
        if finders.find(name) is None:
            raise ValueError(f"Missing staticfiles manifest entry for '{name}'")
        return super().url(name)


@pytest.fixture
def empty_vendor_dir(settings, tmp_path):
    empty = tmp_path / "vendor"
    empty.mkdir()
    settings.VENDOR_DIR = empty
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATICFILES_DIRS = [entry for entry in settings.STATICFILES_DIRS
                                 if not (isinstance(entry, tuple) and entry[0] == "vendor")] + [("vendor", empty)]
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": f"{__name__}.ManifestLikeStorage"}}
    return empty


@pytest.fixture
def desk(client, agent):
    client.force_login(agent)
    return client


def test_sla_report_renders_without_chart_js(desk, empty_vendor_dir):
    response = desk.get("/desk/sla/reports/compliance/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "chart.umd.min.js" not in page and 'id="sla-chart"' not in page
    assert "esm-no-chart" in page and "<table" in page


def test_ci_page_renders_without_cytoscape(desk, empty_vendor_dir):
    ci = CIFactory(name="mail-01")
    response = desk.get(f"/desk/cmdb/{ci.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "cytoscape.min.js" not in page and 'id="impact-graph"' not in page
    assert "esm-no-chart" in page


def test_pages_use_the_libraries_when_present(desk, empty_vendor_dir):
    (empty_vendor_dir / "chart.js").mkdir()
    (empty_vendor_dir / "chart.js" / "chart.umd.min.js").write_text("/* chart */")
    page = desk.get("/desk/sla/reports/compliance/").content.decode()
    assert "vendor/chart.js/chart.umd.min.js" in page and 'id="sla-chart"' in page
