"""The testing kit's scripted runtime installed as a real distribution, and a project +
manifest using it.

The scripted runtime lets the CLI's plumbing (options, exit codes, output, results) be
tested in milliseconds; ``tests/cli/`` at the repository root runs the same commands
end to end with real dbt through the local runtime.
"""

from __future__ import annotations

import logging
import textwrap
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import structlog

RUNTIME_SOURCE = """
from floe_core import testing


class ScriptedRuntime(testing.ScriptedRuntime):
    api_version = "1.0"
"""
"""The installed module: the testing kit's scripted runtime under an entry point of its own
(tests of plugin API checks install one declaring another version)."""

MANIFEST = """\
apiVersion: floe.dev/v1
kind: PlatformManifest
project:
  dir: project
plugins:
  dbt_runtime:
    type: scripted
    config: {config}
compute:
  type: duckdb
artifacts:
  path: results
"""

WriteManifest = Callable[..., Path]


@pytest.fixture
def runtime_source() -> str:
    """The module :func:`scripted_runtime` installs (a test may parametrize another)."""
    return RUNTIME_SOURCE


@pytest.fixture
def scripted_runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runtime_source: str) -> str:
    """Install distribution ``floe-scripted`` registering runtime ``scripted``."""
    site = tmp_path / "site"
    site.mkdir()
    module = f"floe_scripted_{uuid.uuid4().hex}"
    (site / f"{module}.py").write_text(textwrap.dedent(runtime_source), encoding="utf-8")
    dist_info = site / "floe_scripted-0.3.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: floe-scripted\nVersion: 0.3.0\n"
        "Requires-Dist: floe-core<0.2,>=0.1\nRequires-Dist: pytest; extra == 'testing'\n",
        encoding="utf-8",
    )
    (dist_info / "entry_points.txt").write_text(
        f"[floe.dbt_runtimes]\nscripted = {module}:ScriptedRuntime\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(site))
    return "scripted"


@pytest.fixture
def write_manifest(
    tmp_path: Path, scripted_runtime: str, monkeypatch: pytest.MonkeyPatch
) -> WriteManifest:
    """``write_manifest(config="{}", extra="more: yaml")`` writes platform-manifest.yaml
    beside ``project/`` (a dbt project named shop) in a working directory of its own and
    returns its path; ``text`` replaces the whole manifest."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "dbt_project.yml").write_text("name: shop\nprofile: floe\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    def write(config: str = "{}", text: str | None = None, extra: str = "") -> Path:
        path = tmp_path / "platform-manifest.yaml"
        path.write_text((text if text is not None else MANIFEST.format(config=config)) + extra)
        return path

    return write


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI configures structlog and the root logger: undo it for the tests after us."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.reset_defaults()
    root.handlers, root.level = handlers, level
