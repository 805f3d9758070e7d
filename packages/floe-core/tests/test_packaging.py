"""floe-core installed without extras into a fresh venv: the contract imports, the local
runtime runs dbt, and a feature whose extra is missing says which extra to install.

uv builds and installs from its cache (``--offline``: what ``make install`` already fetched),
so this takes seconds and no network.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from floe_core._extras import EXTRAS

PACKAGE = Path(__file__).resolve().parents[1]
REPOSITORY = PACKAGE.parents[1]

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


def _venv_with(tmp_path: Path, *packages: Path) -> Path:
    """A fresh venv holding ``packages`` (and what they declare, nothing else); its bin/.

    Versions are constrained to uv.lock's (all in uv's cache after ``make install``).
    """
    venv = tmp_path / "venv"
    uv = _uv()
    constraints = tmp_path / "constraints.txt"
    export = ["export", "--frozen", "--quiet", "--no-hashes", "--no-header"]
    subprocess.run(
        [
            uv,
            *export,
            "--no-emit-workspace",
            "--all-packages",
            "--all-extras",
            "-o",
            str(constraints),
        ],
        cwd=REPOSITORY,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [uv, "venv", "--quiet", "--python", sys.executable, str(venv)],
        check=True,
        capture_output=True,
    )
    python = venv / "bin" / "python"
    install = ["pip", "install", "--offline", "--quiet", "--python", str(python)]
    installed = subprocess.run(
        [uv, *install, "--constraints", str(constraints), *map(str, packages)],
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stderr
    return venv / "bin"


def test_the_extras_floe_core_names_in_errors_are_the_ones_it_declares() -> None:
    project = tomllib.loads((PACKAGE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert set(EXTRAS) == set(project["optional-dependencies"])


@pytest.mark.slow
def test_floe_core_alone_installs_imports_the_contract_and_names_missing_extras(
    tmp_path: Path,
) -> None:
    bin_dir = _venv_with(tmp_path, PACKAGE)

    probe = subprocess.run([str(bin_dir / "python"), "-c", PROBE], capture_output=True, text=True)
    assert probe.returncode == 0, probe.stderr
    lines = probe.stdout.splitlines()
    assert "install floe-core[lineage]: pip install 'floe-core[lineage]'" in lines[0]
    assert "needs the Python package 'openlineage'" in lines[0]
    assert "install floe-core[tracing]" in lines[1]
    assert "object storage at gs://bucket/runs" in lines[2]
    assert "install floe-core[gcs]" in lines[2]
    assert "install floe-core[testing]" in lines[3]

    help_text = subprocess.run(
        [str(bin_dir / "floe"), "--help"], capture_output=True, text=True, check=True
    )
    assert "validate" in help_text.stdout


@pytest.mark.slow
def test_the_local_runtime_runs_dbt_without_floe_core_extras(tmp_path: Path) -> None:
    packages = REPOSITORY / "packages"
    bin_dir = _venv_with(
        tmp_path, PACKAGE, packages / "floe-dbt-inprocess", packages / "floe-dbt-local"
    )
    shutil.copytree(REPOSITORY / "examples" / "shop", tmp_path / "shop")
    manifest = tmp_path / "platform-manifest.yaml"
    text = (REPOSITORY / "platform-manifest.yaml").read_text(encoding="utf-8")
    manifest.write_text(text.replace("dir: examples/shop", "dir: shop"), encoding="utf-8")

    def floe(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(bin_dir / "floe"), *args, "--manifest", str(manifest)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )

    seeded = floe("seed")
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    assert "4 of 4 OK" in seeded.stdout

    lineage_on = text.replace("lineage:\n    enabled: false", "lineage:\n    enabled: true")
    assert lineage_on != text
    manifest.write_text(lineage_on.replace("dir: examples/shop", "dir: shop"), encoding="utf-8")
    refused = floe("seed")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "observability.lineage needs the Python package 'openlineage'" in refused.stderr
    assert "hint: install floe-core[lineage]: pip install 'floe-core[lineage]'" in refused.stderr
