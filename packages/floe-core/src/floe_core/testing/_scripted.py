"""A runtime that plays a script instead of running dbt, for tests of what sits around one.

The API, the CLI, the results store and the registry are tested against it in milliseconds;
the runtimes themselves are tested against real dbt with :mod:`floe_core.testing.contract`.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

from floe_core._errors import WarehouseError
from floe_core._events import EventBus, NodeFinished, NodeSkipped, RunPlanned
from floe_core._invocation import DBTCommand, DBTInvocation
from floe_core._plan import ExecutionPlan, PlannedNode, order_nodes
from floe_core._results import DBTRunResult, NodeResult, NodeStatus
from floe_core._runtime import DBTRuntimePlugin, HealthStatus

__all__ = ["FAILING_MESSAGE", "ScriptedConfig", "ScriptedRuntime"]

FAILING_MESSAGE = 'Binder Error: column "amount" not found'
"""dbt's message on the first node when ``--vars '{fail: true}'``."""


class ScriptedConfig(BaseModel):
    """The script: which models, and whether to crash after the first one."""

    model_config = ConfigDict(extra="forbid")

    models: tuple[str, ...] = ("stg_orders", "orders")
    """Models of project ``shop`` in DAG order; each depends on the one before it."""
    crash: Literal["warehouse", "unexpected", "interrupt"] | None = None
    """After the first node: raise a WarehouseError, a RuntimeError or KeyboardInterrupt."""
    threads: int = 1
    token: str | None = None
    """Not used: a secret-shaped option, for tests of config validation and redaction."""


class ScriptedRuntime(DBTRuntimePlugin[ScriptedConfig]):
    """Plays :class:`ScriptedConfig` as a run of ``shop``, emitting events as a runtime must.

    ``RunPlanned``, then the first selected model (status ``error`` with
    :data:`FAILING_MESSAGE` when the invocation's vars hold ``fail: true``, else
    ``success``), the optional crash, then the others (``skipped`` after a failure). When the
    invocation has an ``artifacts_dir`` it writes dbt-like ``manifest.json`` before the
    nodes and ``run_results.json`` after them. It remembers every ``(command, invocation)``
    in :attr:`invocations`; set :attr:`barrier` to make concurrent invocations meet inside
    :meth:`execute`.
    """

    name = "scripted"
    config_model = ScriptedConfig
    api_version = "1.0"

    def __init__(
        self, config: ScriptedConfig | None = None, *, events: EventBus | None = None
    ) -> None:
        super().__init__(config or ScriptedConfig(), events=events)
        self.invocations: list[tuple[DBTCommand, DBTInvocation]] = []
        self.barrier: threading.Barrier | None = None
        self.closed = False

    def execute(self, command: DBTCommand, invocation: DBTInvocation) -> DBTRunResult:
        self.invocations.append((command, invocation))
        if self.barrier is not None:
            self.barrier.wait(timeout=10)
        started = datetime.now(UTC)
        planned = self.plan(invocation).nodes
        emit, invocation_id = self.events.emit, invocation.invocation_id
        emit(RunPlanned(invocation_id=invocation_id, node_ids=tuple(n.unique_id for n in planned)))
        artifacts = invocation.artifacts_dir
        if artifacts is not None:
            artifacts.mkdir(parents=True, exist_ok=True)
            (artifacts / "manifest.json").write_text('{"nodes": {}}', encoding="utf-8")
        failing = bool(invocation.vars.get("fail"))
        results: list[NodeResult] = []
        for position, node in enumerate(planned):
            first = position == 0
            status = NodeStatus.SUCCESS
            if failing:
                status = NodeStatus.ERROR if first else NodeStatus.SKIPPED
            result = NodeResult(
                unique_id=node.unique_id,
                name=node.name,
                resource_type="model",
                status=status,
                message=FAILING_MESSAGE if status is NodeStatus.ERROR else "OK",
                execution_time=0.25,
                materialization="table",
                relation_name=f"main.{node.name}",
                adapter_response={"rows_affected": 7},
            )
            event = NodeSkipped if status is NodeStatus.SKIPPED else NodeFinished
            emit(event(invocation_id=invocation_id, result=result))
            results.append(result)
            if first:
                self._crash()
        if artifacts is not None:
            (artifacts / "run_results.json").write_text('{"results": []}', encoding="utf-8")
        done = datetime.now(UTC)
        return DBTRunResult(
            invocation_id=invocation_id,
            command=command,
            runtime=self.name,
            status=DBTRunResult.status_from_nodes(results),
            started_at=started,
            completed_at=done,
            elapsed_seconds=(done - started).total_seconds(),
            nodes=tuple(results),
            metadata={"invocation": invocation.model_dump(mode="json")},
        )

    def _crash(self) -> None:
        crash = self.config.crash
        if crash == "warehouse":
            raise WarehouseError("lost the warehouse", hint="check that it is running")
        if crash == "unexpected":
            raise RuntimeError("scripted bug")
        if crash == "interrupt":
            raise KeyboardInterrupt

    def plan(self, invocation: DBTInvocation) -> ExecutionPlan:
        models = self.config.models
        nodes = [
            PlannedNode(
                unique_id=f"model.shop.{model}",
                name=model,
                resource_type="model",
                depends_on=(f"model.shop.{models[i - 1]}",) if i else (),
            )
            for i, model in enumerate(models)
        ]
        if invocation.select:
            nodes = [node for node in nodes if node.name in invocation.select]
        return ExecutionPlan(project_name="shop", nodes=order_nodes(nodes))

    def supports_parallel_execution(self) -> bool:
        return False

    def health_check(self) -> HealthStatus:
        return HealthStatus(healthy=True, message="scripted and ready")

    def close(self) -> None:
        self.closed = True
