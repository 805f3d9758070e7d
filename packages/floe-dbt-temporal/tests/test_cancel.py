from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType

from floe_core import (
    DBTInvocation,
    FloeEvent,
    GeneratedProfile,
    NodeStarted,
    RunCancelledError,
    RunFinished,
    RunStatus,
)
from floe_dbt_temporal import TemporalRuntime, WorkerSettings

pytestmark = [pytest.mark.slow, pytest.mark.temporal]


def test_cancelling_the_workflow_cancels_its_running_nodes(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    dag_project: Path,
    duckdb_profile: GeneratedProfile,
) -> None:
    runtime = make_runtime(heartbeat_timeout_seconds=2)
    started = threading.Event()
    finished: list[RunFinished] = []

    def watch(event: FloeEvent) -> None:
        if isinstance(event, NodeStarted) and event.unique_id == "model.dag.slow":
            started.set()
        if isinstance(event, RunFinished):
            finished.append(event)

    runtime.events.subscribe(watch)
    invocation = DBTInvocation(project_dir=dag_project, profile=duckdb_profile, select=("slow",))
    workflow_id = f"floe-{invocation.invocation_id}"
    errors: list[BaseException] = []

    def build() -> None:
        try:
            runtime.build(invocation)
        except BaseException as exc:
            errors.append(exc)

    with temporal_server.worker(settings):
        thread = threading.Thread(target=build)
        thread.start()
        assert started.wait(60)
        handle = temporal_server.env.client.get_workflow_handle(workflow_id)
        temporal_server.loop.run(handle.cancel())
        thread.join(60)

    assert len(errors) == 1
    assert isinstance(errors[0], RunCancelledError)
    assert finished[0].result.status is RunStatus.CANCELLED

    async def event_types() -> set[int]:
        history = await handle.fetch_history()
        return {event.event_type for event in history.events}

    seen = temporal_server.loop.run(event_types())
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_CANCEL_REQUESTED in seen
    assert EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED in seen
