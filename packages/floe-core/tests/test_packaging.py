"""floe-core installed alone (no extras) into a fresh venv: the contract imports and works.

uv builds and installs from its cache (``--offline``: what ``make install`` already fetched),
so this takes seconds and no network.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1]

PROBE = textwrap.dedent(
    """
    import importlib.util, sys

    import floe_core
    from floe_core import DBTRuntimePlugin, DBTInvocation, DBTRunResult, EventBus, FloeError
    from floe_core import MissingExtraError
    import floe_core.api, floe_core.cli, floe_core.manifest, floe_core.registry

    absent = [name for name in ("dbt", "httpx", "openlineage", "opentelemetry", "obstore",
                                "pytest", "moto", "boto3", "duckdb")
              if importlib.util.find_spec(name) is not None]
    assert not absent, f"installed without being declared: {absent}"

    def refusal(action):
        try:
            action()
        except MissingExtraError as exc:
            return f"{exc.message} | {exc.hint}"
        raise AssertionError("no MissingExtraError")

    from floe_core import lineage, stores, tracing
    print(refusal(lambda: lineage.create_lineage_observer))
    print(refusal(lambda: tracing.create_tracing_observer))
    print(refusal(lambda: stores.open_object_store("gs://bucket/runs")))
    print(refusal(lambda: __import__("floe_core.testing.contract")))
    """
)


def _uv() -> str:
    beside = Path(sys.executable).with_name("uv")
    found = str(beside) if beside.exists() else shutil.which("uv")
    assert found, "uv is part of the dev environment (make install)"
    return found


@pytest.mark.slow
def test_floe_core_alone_installs_imports_the_contract_and_names_missing_extras(
    tmp_path: Path,
) -> None:
    venv = tmp_path / "venv"
    uv = _uv()
    subprocess.run(
        [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
        check=True,
        capture_output=True,
    )
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [uv, "pip", "install", "--offline", "--quiet", "--python", str(python), str(PACKAGE)],
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stderr

    probe = subprocess.run([str(python), "-c", PROBE], capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    lines = probe.stdout.splitlines()
    assert "install floe-core[lineage]: pip install 'floe-core[lineage]'" in lines[0]
    assert "needs the Python package 'openlineage'" in lines[0]
    assert "install floe-core[tracing]" in lines[1]
    assert "object storage at gs://bucket/runs" in lines[2]
    assert "install floe-core[gcs]" in lines[2]
    assert "install floe-core[testing]" in lines[3]

    help_text = subprocess.run(
        [str(venv / "bin" / "floe"), "--help"], capture_output=True, text=True, check=True
    )
    assert "validate" in help_text.stdout
