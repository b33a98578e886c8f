"""A typed client generated from the schema with openapi-python-client imports, every module of it.

With form and multipart bodies offered beside JSON on every operation, 11 of 63 operation modules
of such a client failed to import (``NameError: Unset``). Generation and imports run in
subprocesses, so nothing generated stays in this interpreter.
"""

import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

pytestmark = [pytest.mark.generated_client, pytest.mark.subprocess]

IMPORT_EVERY_MODULE = """
import importlib, pkgutil, sys
sys.path.insert(0, sys.argv[1])
package = importlib.import_module(sys.argv[2])
count = 0
for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    count += 1
    try:
        importlib.import_module(module.name)
    except Exception as exc:
        print(f"{module.name}: {exc!r}")
print(f"modules: {count}")
"""


def test_generated_client_imports_every_module(tmp_path):
    schema = tmp_path / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(schema))
    config = tmp_path / "config.yml"
    config.write_text("post_hooks: []\n")  # no formatting pass: only whether it imports matters
    generator = Path(sys.executable).with_name("openapi-python-client")
    out = tmp_path / "client"
    generated = subprocess.run([str(generator), "generate", "--path", str(schema), "--output-path", str(out),
                                "--config", str(config)], capture_output=True, text=True, timeout=120)
    assert generated.returncode == 0, generated.stdout + generated.stderr
    assert "Warning" not in generated.stdout + generated.stderr, generated.stdout + generated.stderr
    package = next(p.name for p in out.iterdir() if (p / "__init__.py").exists())
    imported = subprocess.run([sys.executable, "-c", IMPORT_EVERY_MODULE, str(out), package],
                              capture_output=True, text=True, timeout=120)
    lines = imported.stdout.strip().splitlines()
    assert imported.returncode == 0 and lines and lines[-1].startswith("modules: "), imported.stderr
    failures = lines[:-1]
    assert not failures, "\n".join(failures)
    operations = list((out / package / "api").glob("*/*.py"))
    assert len([p for p in operations if p.name != "__init__.py"]) >= 60
