"""The browser libraries fetched from npm: a download that does not match its pinned hash is refused."""

import base64
import hashlib
import io
import tarfile

import pytest

from esm import vendor


def tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


class FakeResponse(io.BytesIO):
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def served(monkeypatch, tmp_path):
    monkeypatch.setattr(vendor, "VENDOR_DIR", tmp_path)
    data = tarball({"dist/lib.min.js": b"console.log(1)", "LICENSE": b"MIT"})
    monkeypatch.setattr(vendor.urllib.request, "urlopen", lambda url, timeout: FakeResponse(data))
    return data


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def test_fetch_extracts_the_listed_files_when_the_hash_matches(served, tmp_path):
    package = vendor.Package("lib", "1.0.0", integrity(served), ("dist/lib.min.js", "LICENSE"))
    assert vendor.missing([package]) == [package]
    vendor.fetch(package)
    assert (tmp_path / "lib" / "lib.min.js").read_bytes() == b"console.log(1)"
    assert vendor.missing([package]) == []


def test_fetch_refuses_a_download_that_does_not_match_its_hash(served, tmp_path):
    package = vendor.Package("lib", "1.0.0", integrity(b"something else"), ("dist/lib.min.js",))
    with pytest.raises(ValueError, match="integrity"):
        vendor.fetch(package)
    assert not (tmp_path / "lib").exists()


def test_pinned_packages_have_sha512_hashes():
    assert all(p.integrity.startswith("sha512-") and p.version.count(".") == 2 for p in vendor.PACKAGES)


def test_collectstatic_with_hashed_names_finds_every_referenced_file(settings, tmp_path):
    """Production serves hashed static names; a file one of ours references (a source map) must exist."""
    from django.core.management import call_command

    if vendor.missing():
        pytest.skip("run `manage.py vendor_assets` first (./esmctl does)")
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
    call_command("collectstatic", "--noinput", "-v", "0")
    assert (tmp_path / "static" / "staticfiles.json").exists()
