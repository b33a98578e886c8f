"""Third-party browser libraries, fetched from the npm registry at set-up.

Front-end assets come from a package registry (docs/architecture.md, "Front-end assets"), are
served by whitenoise, and nothing third-party is copied into the repository. Bootstrap and htmx
arrive as PyPI packages; the two libraries below exist only on npm, so ``manage.py vendor_assets``
downloads their pinned release tarballs, checks them against the registry's sha512 integrity hash
(a changed or truncated download is refused) and extracts the few files ESM serves into ``var/vendor/<package>/``,
which settings add to STATICFILES_DIRS under ``vendor/``. Idempotent: a file already there is
kept, so only the first run needs the network.
"""

import base64
import hashlib
import io
import os
import tarfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

VENDOR_DIR = Path(os.environ.get("ESM_VENDOR_DIR", Path(__file__).resolve().parent.parent / "var" / "vendor"))
REGISTRY = os.environ.get("NPM_REGISTRY", "https://registry.npmjs.org").rstrip("/")


@dataclass(frozen=True)
class Package:
    name: str
    version: str
    integrity: str  # the registry's "dist.integrity" (sha512, base64)
    files: tuple[str, ...]  # paths inside the tarball's package/ folder

    @property
    def tarball_url(self) -> str:
        return f"{REGISTRY}/{self.name}/-/{self.name}-{self.version}.tgz"


PACKAGES = (
    Package(
        "chart.js", "4.5.1",
        "sha512-GIjfiT9dbmHRiYi6Nl2yFCq7kkwdkp1W/lp2J99rX0yo9tgJGn3lKQATztIjb5tVtevcBtIdICNWqlq5+E8/Pw==",
        ("dist/chart.umd.min.js", "dist/chart.umd.min.js.map", "LICENSE.md"),  # the map: its URL is in the file
    ),
    Package(
        "cytoscape", "3.33.1",
        "sha512-iJc4TwyANnOGR1OmWhsS9ayRS3s+XQ185FmuHObThD+5AeJCakAAbWv8KimMTt08xCCLNgneQwFp+JRJOr9qGQ==",
        ("dist/cytoscape.min.js", "LICENSE"),
    ),
)  # fmt: skip


def target(package: Package, member: str) -> Path:
    return VENDOR_DIR / package.name / Path(member).name


def missing(packages=PACKAGES) -> list[Package]:
    return [p for p in packages if not all(target(p, f).exists() for f in p.files)]


def fetch(package: Package, timeout: float = 60) -> None:
    with urllib.request.urlopen(package.tarball_url, timeout=timeout) as response:  # noqa: S310 - fixed https URL
        data = response.read()
    algorithm, expected = package.integrity.split("-", 1)
    digest = base64.b64encode(hashlib.new(algorithm, data).digest()).decode()
    if digest != expected:
        raise ValueError(f"{package.name} {package.version}: integrity check failed ({package.tarball_url})")
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in package.files:
            extracted = archive.extractfile(f"package/{member}")
            if extracted is None:
                raise ValueError(f"{package.name} {package.version}: {member} is not a file")
            path = target(package, member)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + ".part")
            tmp.write_bytes(extracted.read())
            tmp.replace(path)  # atomic: a half-written file is never served
