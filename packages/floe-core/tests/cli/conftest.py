"""A scripted runtime installed as a real distribution, and a project + manifest using it.

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

RUNTIME_SOURCE = '''
from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel

from floe_core import (
    DBTRunResult, DBTRuntimePlugin, ExecutionPlan, HealthStatus, NodeFinished, NodeResult,
    NodeSkipped, NodeStatus, PlannedNode, RunPlanned, RunStatus, WarehouseError,
)


class ScriptedConfig(BaseModel):
    model_config = {"extra": "forbid"}
    threads: int = 1
    crash: Literal["warehouse", "unexpected", "interrupt"] | None = None


class ScriptedRuntime(DBTRuntimePlugin[ScriptedConfig]):
    """Two models; ``--vars '{fail: true}'`` fails the first, whose child is then skipped."""

    name = "scripted"
    api_version = "1.0"
    config_model = ScriptedConfig

    def execute(self, command, invocation):
        started = datetime.now(UTC)
        ids = [n.unique_id for n in self.plan(invocation).nodes]
        self.events.emit(RunPlanned(invocation_id=invocation.invocation_id, node_ids=tuple(ids)))
        failing = bool(invocation.vars.get("fail"))
        if not ids:
            return self._result(command, invocation, started, [])
        first = NodeResult(
            unique_id=ids[0], name=ids[0].split(".")[-1], resource_type="model",
            status=NodeStatus.ERROR if failing else NodeStatus.SUCCESS,
            message='Binder Error: column "amount" not found' if failing else "OK",
            execution_time=0.25, materialization="table", relation_name="main.stg_orders",
        )
        self.events.emit(NodeFinished(invocation_id=invocation.invocation_id, result=first))
        crash = self.config.crash
        if crash == "warehouse":
            raise WarehouseError("lost the warehouse", hint="check that it is running")
        if crash == "unexpected":
            raise RuntimeError("scripted bug")
        if crash == "interrupt":
            raise KeyboardInterrupt
        nodes = [first]
        if len(ids) > 1:
            second = NodeResult(
                unique_id=ids[1], name=ids[1].split(".")[-1], resource_type="model",
                status=NodeStatus.SKIPPED if failing else NodeStatus.SUCCESS,
                adapter_response={"rows_affected": 7},
            )
            event = NodeSkipped if failing else NodeFinished
            self.events.emit(event(invocation_id=invocation.invocation_id, result=second))
            nodes.append(second)
        return self._result(command, invocation, started, nodes)

    def _result(self, command, invocation, started, nodes):
        done = datetime.now(UTC)
        return DBTRunResult(
            invocation_id=invocation.invocation_id, command=command, runtime=self.name,
            status=DBTRunResult.status_from_nodes(nodes), started_at=started,
            completed_at=done, elapsed_seconds=(done - started).total_seconds(),
            nodes=tuple(nodes), metadata={"invocation": invocation.model_dump(mode="json")},
        )

    def plan(self, invocation):
        nodes = [
            PlannedNode(unique_id="model.shop.orders", name="orders", resource_type="model",
                        depends_on=("model.shop.stg_orders",)),
            PlannedNode(unique_id="model.shop.stg_orders", name="stg_orders",
                        resource_type="model"),
        ]
        if invocation.select:
            nodes = [n for n in nodes if n.name in invocation.select]
        from floe_core import order_nodes
        return ExecutionPlan(project_name="shop", nodes=order_nodes(nodes))

    def supports_parallel_execution(self):
        return False

    def health_check(self):
        return HealthStatus(healthy=True, message="scripted and ready")
'''

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
