"""examples/dagster loads as a Dagster code location, as `dagster definitions validate` sees it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
DAGSTER = Path(sys.executable).parent / "dagster"


@pytest.mark.slow
def test_dagster_definitions_validate_passes_on_a_fresh_checkout(tmp_path: Path) -> None:
    examples = tmp_path / "examples"
    ignore = shutil.ignore_patterns("target", "logs", ".floe", "*.duckdb*")
    shutil.copytree(REPO / "examples" / "dagster", examples / "dagster", ignore=ignore)
    shutil.copytree(REPO / "examples" / "shop", examples / "shop", ignore=ignore)
    validated = subprocess.run(
        [str(DAGSTER), "definitions", "validate", "-f", "definitions.py"],
        cwd=examples / "dagster",
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert validated.returncode == 0, validated.stderr[-3000:]
    assert "All code locations passed validation" in validated.stderr
    # manifest.json was missing, so loading parsed the project through floe
    assert (examples / "shop" / "target" / "manifest.json").is_file()
