from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from structlog.testing import capture_logs

from floe_core import (
    DBTCommand,
    DBTRunResult,
    EventBus,
    NodeFinished,
    NodeResult,
    NodeSkipped,
    NodeStarted,
    NodeStatus,
    RunFinished,
    RunObserver,
    RunStarted,
    RunStatus,
    hookimpl,
)
from floe_core.plugins import FloePluginManager, PluginHookObserver

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _node(name: str, status: NodeStatus) -> NodeResult:
    return NodeResult(
        unique_id=f"model.shop.{name}", name=name, resource_type="model", status=status
    )


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    @hookimpl
    def floe_run_started(self, event: RunStarted) -> None:
        self.calls.append(f"run_started {event.command}")

    @hookimpl
    def floe_node_started(self, event: NodeStarted) -> None:
        self.calls.append(f"node_started {event.name}")

    @hookimpl
    def floe_node_finished(self, result: NodeResult) -> None:
        self.calls.append(f"node_finished {result.name} {result.status}")

    @hookimpl
    def floe_run_finished(self, result: DBTRunResult) -> None:
        self.calls.append(f"run_finished {result.status}")


class Broken:
    @hookimpl
    def floe_node_finished(self) -> None:
        raise RuntimeError("notification service down")


def test_events_become_hook_calls_and_a_failing_plugin_does_not_stop_the_others() -> None:
    recorder = Recorder()
    plugins = FloePluginManager()
    plugins.register(recorder, "recorder")
    plugins.register(Broken(), "broken")
    observer = PluginHookObserver(plugins)
    assert isinstance(observer, RunObserver)
    bus = EventBus()
    failed, skipped = _node("orders", NodeStatus.ERROR), _node("report", NodeStatus.SKIPPED)
    result = DBTRunResult(
        invocation_id="inv",
        command=DBTCommand.BUILD,
        runtime="local",
        status=RunStatus.FAILED,
        started_at=NOW,
        completed_at=NOW,
        elapsed_seconds=0.0,
        nodes=(failed, skipped),
    )

    with capture_logs() as logs, bus.subscribed(observer):
        bus.emit(
            RunStarted(
                invocation_id="inv",
                command=DBTCommand.BUILD,
                runtime="local",
                project_name="shop",
                project_dir=Path("."),
                started_at=NOW,
            )
        )
        bus.emit(
            NodeStarted(
                invocation_id="inv",
                unique_id=failed.unique_id,
                name="orders",
                resource_type="model",
                started_at=NOW,
            )
        )
        bus.emit(NodeFinished(invocation_id="inv", result=failed))
        bus.emit(NodeSkipped(invocation_id="inv", result=skipped))
        bus.emit(RunFinished(invocation_id="inv", result=result))

    assert recorder.calls == [
        "run_started build",
        "node_started orders",
        "node_finished orders error",
        "node_finished report skipped",
        "run_finished failed",
    ]
    # The broken plugin is named once; its second failure is not repeated as a warning.
    warnings = [log for log in logs if log["log_level"] == "warning"]
    assert [(w["plugin"], w["hook"]) for w in warnings] == [("broken", "floe_node_finished")]
