"""The public API's type hints hold: mypy (the `test` extra) over the modules `[tool.mypy]` in pyproject.toml names
(a few seconds)."""
import os
import subprocess
import sys

from conftest import ROOT


def test_mypy_passes_on_the_public_modules(tmp_path):
    result = subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache")], cwd=ROOT,
                            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": ROOT}, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
