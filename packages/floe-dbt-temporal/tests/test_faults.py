from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from floe_core import (
    DBTInvocation,
    DBTRunResult,
    GeneratedProfile,
    NodeStatus,
    RunStatus,
)
from floe_dbt_temporal import RetrySettings, TemporalRuntime, WorkerSettings

pytestmark = [pytest.mark.slow, pytest.mark.temporal]


def _run_in_thread(
    runtime: TemporalRuntime, invocation: DBTInvocation
) -> tuple[threading.Thread, dict[str, Any]]:
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = runtime.build(invocation)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target)
    thread.start()
    return thread, box


def test_killing_a_worker_mid_run_loses_nothing(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    spawn_worker: Callable[..., Any],
    duckdb_profile: GeneratedProfile,
    wide_project: Callable[..., Path],
) -> None:
    project = wide_project(models=12, rows=30_000_000)
    runtime = make_runtime(heartbeat_timeout_seconds=2, max_concurrency=2)
    first = spawn_worker("a")
    invocation = DBTInvocation(project_dir=project, profile=duckdb_profile)
    thread, box = _run_in_thread(runtime, invocation)
    # Kill once the worker stored 2 node results (the store, not the client's progress
    # stream, which may lag): 2 of the 4 slow first-layer nodes are then still to run.
    results = Path(settings.artifact_store) / "runs" / invocation.invocation_id / "nodes"
    deadline = time.monotonic() + 90
    while len(list(results.glob("*.json"))) < 2:
        assert time.monotonic() < deadline, "no progress before the kill"
        time.sleep(0.05)
    first.stop(signal.SIGKILL)
    committed = {path.name: path.read_bytes() for path in results.glob("*.json")}
    spawn_worker("b")
    thread.join(180)

    result: DBTRunResult = box["result"]
    failures = [(n.unique_id, n.status, n.message) for n in result.nodes if n.status.is_failure]
    assert result.status is RunStatus.SUCCESS, failures
    assert len(result.nodes) == 12
    attempts = temporal_server.activity_starts(result.metadata["workflow_id"])
    nodes = {
        activity: value
        for activity, value in attempts.items()
        if activity.startswith(("model.", "batch:model."))
    }
    # 4 slow first-layer nodes, 2 activities at a time: they shared activities (ADR 0030)
    assert any(activity.startswith("batch:") for activity in nodes), attempts
    retried = [activity for activity, (attempt, _) in nodes.items() if attempt > 1]
    # Only the activities in flight on the killed worker ran again (cap: 2 at a time), on
    # the other worker (the history keeps the last attempt's start)...
    assert 1 <= len(retried) <= 2, retried
    assert len({nodes[activity][1] for activity in retried}) == 1, attempts
    # ... and no node the killed worker had finished executed again (its stored result is
    # untouched), whether its batch's heartbeat or the store recorded it.
    assert {name: (results / name).read_bytes() for name in committed} == committed


def test_a_node_failing_on_every_attempt_is_stored_as_an_error(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    dag_project: Path,
    duckdb_profile: GeneratedProfile,
) -> None:
    # Each attempt outlives its start-to-close timeout: no attempt produces a result. The
    # shared `slow` model takes ~0.5 s on an idle machine; ten times that is never in time.
    (dag_project / "models" / "slow.sql").write_text(
        "select sum(i % 7) as total from range(3000000000) t(i)", encoding="utf-8"
    )
    runtime = make_runtime(
        node_timeout_seconds=0.3,
        retry=RetrySettings(initial_interval_seconds=0.1, maximum_attempts=2),
    )
    invocation = DBTInvocation(
        project_dir=dag_project, profile=duckdb_profile, select=("slow", "fast_a")
    )
    with temporal_server.worker(settings):
        result = runtime.build(invocation)

    assert result.status is RunStatus.FAILED
    slow = result.node("model.dag.slow")
    assert slow.status is NodeStatus.ERROR
    # The workflow's own verdict: the timed-out last attempt's "Cancelled" outcome, which its
    # thread reaches after the workflow recorded the verdict, must not overwrite it.
    assert (slow.message or "").startswith("failed on every attempt"), slow.message
    assert result.node("model.dag.fast_a").status is NodeStatus.SUCCESS
    assert result.run_results_path is not None
    statuses = {
        r["unique_id"]: (r["status"], r["message"])
        for r in json.loads(result.run_results_path.read_text())["results"]
    }
    assert statuses["model.dag.slow"] == ("error", slow.message)
