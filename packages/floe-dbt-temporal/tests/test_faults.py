from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from floe_core import (
    DBTInvocation,
    DBTRunResult,
    FloeEvent,
    GeneratedProfile,
    NodeFinished,
    RunStatus,
)
from floe_dbt_temporal import TemporalRuntime, WorkerSettings

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
    project = wide_project(models=12, rows=20_000_000)
    runtime = make_runtime(heartbeat_timeout_seconds=2, max_concurrency=2)
    finished = threading.Event()
    count = [0]

    seen: list[FloeEvent] = []

    def watch(event: FloeEvent) -> None:
        seen.append(event)
        if isinstance(event, NodeFinished):
            count[0] += 1
            if count[0] >= 4:
                finished.set()

    runtime.events.subscribe(watch)
    first = spawn_worker("a")
    thread, box = _run_in_thread(
        runtime, DBTInvocation(project_dir=project, profile=duckdb_profile)
    )
    assert finished.wait(90), "no progress before the kill"
    first.stop(signal.SIGKILL)
    spawn_worker("b")
    thread.join(180)

    result: DBTRunResult = box["result"]
    failures = [(n.unique_id, n.status, n.message) for n in result.nodes if n.status.is_failure]
    bad = [
        e.result.message for e in seen if isinstance(e, NodeFinished) and e.result.status.is_failure
    ]
    assert result.status is RunStatus.SUCCESS, (failures, bad)
    assert len(result.nodes) == 12
    attempts = temporal_server.activity_starts(result.metadata["workflow_id"])
    nodes = {uid: value for uid, value in attempts.items() if uid.startswith("model.")}
    assert len(nodes) == 12
    retried = [uid for uid, (attempt, _) in nodes.items() if attempt > 1]
    # Only the nodes in flight on the killed worker ran again (cap: 2 at a time).
    assert len(retried) <= 2, retried
    assert len({identity for _, identity in nodes.values()}) == 2
