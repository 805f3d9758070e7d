from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from floe_core import (
    DBTCommand,
    DBTInvocation,
    DBTRunResult,
    FloeEvent,
    GeneratedProfile,
    NodeResult,
    NodeStatus,
    ProjectError,
    RunCancelledError,
    RunFinished,
    RunStarted,
    RunStatus,
    WarehouseError,
)
from floe_core.testing import ScriptedConfig, ScriptedRuntime

ONE_MODEL = ScriptedConfig(models=("a",))


@pytest.fixture
def invocation(tmp_path: Path) -> DBTInvocation:
    (tmp_path / "dbt_project.yml").write_text("name: shop\nprofile: floe\n")
    return DBTInvocation(project_dir=tmp_path, profile=GeneratedProfile(outputs={"dev": {}}))


@pytest.mark.parametrize(
    ("method", "command"),
    [
        ("compile_project", DBTCommand.COMPILE),
        ("run_models", DBTCommand.RUN),
        ("build", DBTCommand.BUILD),
        ("test_models", DBTCommand.TEST),
        ("seed", DBTCommand.SEED),
        ("snapshot", DBTCommand.SNAPSHOT),
    ],
)
def test_each_command_is_bracketed_by_run_started_and_run_finished(
    invocation: DBTInvocation, method: str, command: DBTCommand
) -> None:
    runtime = ScriptedRuntime(ONE_MODEL)
    events: list[FloeEvent] = []
    runtime.events.subscribe(events.append)
    result = getattr(runtime, method)(invocation)
    assert [e.kind for e in events] == [
        "run_started",
        "run_planned",
        "node_finished",
        "run_finished",
    ]
    started = events[0]
    assert isinstance(started, RunStarted)
    assert (started.command, started.project_name) == (command, "shop")
    assert result.command is command


def test_a_crash_mid_run_still_reports_the_nodes_already_finished(
    invocation: DBTInvocation,
) -> None:
    runtime = ScriptedRuntime(ONE_MODEL.model_copy(update={"crash": "warehouse"}))
    events: list[FloeEvent] = []
    runtime.events.subscribe(events.append)
    with pytest.raises(WarehouseError):
        runtime.build(invocation)
    finished = events[-1]
    assert isinstance(finished, RunFinished)
    assert finished.result.status is RunStatus.ERROR
    assert [n.unique_id for n in finished.result.nodes] == ["model.shop.a"]
    assert (finished.result.error or "").startswith("lost the warehouse")


def test_missing_project_is_a_project_error(tmp_path: Path) -> None:
    runtime = ScriptedRuntime()
    missing = DBTInvocation(
        project_dir=tmp_path / "nope", profile=GeneratedProfile(outputs={"dev": {}})
    )
    with pytest.raises(ProjectError, match=r"dbt_project\.yml not found") as info:
        runtime.build(missing)
    assert info.value.exit_code == 2
    assert "--project-dir" in str(info.value)


def test_run_result_counts_every_status() -> None:
    now = datetime.now(UTC)
    nodes = tuple(
        NodeResult(unique_id=f"m.{s}", name=s, resource_type="model", status=NodeStatus(s))
        for s in ("success", "success", "fail", "skipped")
    )
    result = DBTRunResult(
        invocation_id="i",
        command=DBTCommand.BUILD,
        runtime="x",
        status=DBTRunResult.status_from_nodes(nodes),
        started_at=now,
        completed_at=now,
        elapsed_seconds=0,
        nodes=nodes,
    )
    assert result.status is RunStatus.FAILED
    assert result.counts()[NodeStatus.SUCCESS] == 2
    assert result.counts()[NodeStatus.ERROR] == 0
    assert result.node("m.fail").status is NodeStatus.FAIL


def test_metadata_names_the_runtime_and_api_version() -> None:
    metadata = ScriptedRuntime().get_runtime_metadata()
    assert (metadata.name, metadata.api_version) == ("scripted", "1.0")


class _CancellingRuntime(ScriptedRuntime):
    def execute(self, command: DBTCommand, invocation: DBTInvocation) -> DBTRunResult:
        raise RunCancelledError("interrupted by the user")


def test_a_runtime_cancellation_is_reported_as_cancelled(invocation: DBTInvocation) -> None:
    events: list[FloeEvent] = []
    with _CancellingRuntime() as runtime:
        runtime.events.subscribe(events.append)
        with pytest.raises(RunCancelledError):
            runtime.run_models(invocation)
    finished = events[-1]
    assert isinstance(finished, RunFinished)
    assert finished.result.status is RunStatus.CANCELLED
