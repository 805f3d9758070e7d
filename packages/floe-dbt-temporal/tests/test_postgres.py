from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from temporalio.api.enums.v1 import EventType

from floe_core import (
    DBTInvocation,
    GeneratedProfile,
    NodeResult,
    NodeStarted,
    NodeStatus,
    RunCancelledError,
    RunStatus,
)
from floe_core.testing import PostgresServer
from floe_dbt_temporal import TemporalRuntime, WorkerSettings

pytestmark = [pytest.mark.slow, pytest.mark.temporal, pytest.mark.postgres]

PASSWORD_ENV = "FLOE_TEST_PG_PASSWORD"


def _pg_profile(server: PostgresServer, database: str) -> GeneratedProfile:
    return GeneratedProfile(
        outputs={
            "dev": {
                "type": "postgres",
                "host": server.host,
                "port": server.port,
                "user": server.user,
                "password": f"{{{{ env_var('{PASSWORD_ENV}') }}}}",
                "dbname": database,
                "schema": "public",
                "threads": 4,
            }
        }
    )


def test_two_worker_processes_share_one_run_on_postgres(
    temporal_server: Any,
    postgres_server: PostgresServer,
    postgres_database: str,
    make_runtime: Callable[..., TemporalRuntime],
    spawn_worker: Callable[..., Any],
    wide_project: Callable[..., Path],
) -> None:
    profile = _pg_profile(postgres_server, postgres_database)
    workers = [spawn_worker(name, **{PASSWORD_ENV: postgres_server.password}) for name in "ab"]
    status, report = workers[0].health()
    assert status == 200
    assert report["healthy"] is True

    runtime = make_runtime(secret_env=(PASSWORD_ENV,), max_concurrency=4)
    result = runtime.build(
        DBTInvocation(project_dir=wide_project(models=12, rows=300_000), profile=profile)
    )

    assert result.status is RunStatus.SUCCESS, result.error
    assert {n.status for n in result.nodes} == {NodeStatus.SUCCESS}
    starts = temporal_server.activity_starts(result.metadata["workflow_id"])
    identities = {
        identity
        for activity, (_, identity) in starts.items()
        if activity.startswith(("model.", "batch:model."))  # one node, or several (ADR 0030)
    }
    assert len(identities) == 2, identities  # both processes executed nodes
    # Beside the plan, both floe_warm activities (ADR 0030) opened the run's executor.
    warm = {activity for activity in starts if activity.startswith("warm:")}
    assert warm == {"warm:1", "warm:2"}, starts.keys()

    async def history_bytes() -> bytes:
        handle = temporal_server.env.client.get_workflow_handle(result.metadata["workflow_id"])
        history = await handle.fetch_history()
        return history.to_json().encode()

    assert postgres_server.password.encode() not in temporal_server.loop.run(history_bytes())

    async def warm_outcomes() -> list[str]:
        handle = temporal_server.env.client.get_workflow_handle(result.metadata["workflow_id"])
        scheduled: set[int] = set()
        outcomes: list[str] = []
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                attrs = event.activity_task_scheduled_event_attributes
                if attrs.activity_type.name == "floe_warm":
                    scheduled.add(event.event_id)
            elif (
                event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
                and event.activity_task_completed_event_attributes.scheduled_event_id in scheduled
            ):
                outcomes.append("completed")
        return outcomes

    assert temporal_server.loop.run(warm_outcomes()) == ["completed", "completed"]
    # SIGTERM: the worker stops polling, finishes, closes connections and exits 0.
    assert workers[0].stop(signal.SIGTERM) == 0


def test_cancelling_a_run_cancels_the_sql_it_started(
    temporal_server: Any,
    postgres_server: PostgresServer,
    postgres_database: str,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(PASSWORD_ENV, postgres_server.password)
    project = tmp_path / "sleepy"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: sleepy\nversion: '1.0'\nconfig-version: 2\nprofile: floe\n"
        "models:\n  sleepy:\n    +materialized: table\n"
    )
    sleepy = "select 1 as id from (select pg_sleep(60)) as slept"
    (project / "models" / "sleepy.sql").write_text(sleepy)
    runtime = make_runtime(secret_env=(PASSWORD_ENV,), heartbeat_timeout_seconds=2)
    started = threading.Event()
    runtime.events.subscribe(
        lambda event: started.set() if isinstance(event, NodeStarted) else None
    )
    invocation = DBTInvocation(
        project_dir=project, profile=_pg_profile(postgres_server, postgres_database)
    )
    box: dict[str, BaseException] = {}

    def build() -> None:
        try:
            runtime.build(invocation)
        except BaseException as exc:
            box["error"] = exc

    def sleeping() -> int:
        sql = "select count(*) from pg_stat_activity where state = 'active'"
        sql += " and query like '%pg_sleep(60)%'"
        return int(postgres_server.psql(f"{sql} and pid <> pg_backend_pid()").strip())

    with temporal_server.worker(settings):
        thread = threading.Thread(target=build)
        thread.start()
        assert started.wait(60)
        deadline = time.monotonic() + 30
        while sleeping() == 0:
            assert time.monotonic() < deadline, "the model's statement never started"
            time.sleep(0.2)
        handle = temporal_server.env.client.get_workflow_handle(f"floe-{invocation.invocation_id}")
        temporal_server.loop.run(handle.cancel())
        thread.join(40)
        assert not thread.is_alive()
        cancelled_at = time.monotonic()
        while sleeping():  # pg_terminate_backend is asynchronous: give it a moment
            assert time.monotonic() - cancelled_at < 10, "the statement still runs"
            time.sleep(0.2)

    assert isinstance(box["error"], RunCancelledError)
    exists = postgres_server.psql(
        "select to_regclass('public.sleepy') is not null", dbname=postgres_database
    )
    assert exists.strip() in ("f", "false")  # never committed
    stored = Path(settings.artifact_store) / "runs" / invocation.invocation_id / "nodes"
    [node] = [NodeResult.model_validate_json(p.read_text()) for p in stored.glob("*.json")]
    assert node.status is NodeStatus.ERROR


def test_killing_one_of_two_workers_mid_run_loses_nothing(
    temporal_server: Any,
    postgres_server: PostgresServer,
    postgres_database: str,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    spawn_worker: Callable[..., Any],
    wide_project: Callable[..., Path],
) -> None:
    workers = [spawn_worker(name, **{PASSWORD_ENV: postgres_server.password}) for name in "ab"]
    runtime = make_runtime(secret_env=(PASSWORD_ENV,), heartbeat_timeout_seconds=2)
    invocation = DBTInvocation(
        project_dir=wide_project(models=12, rows=3_000_000),
        profile=_pg_profile(postgres_server, postgres_database),
    )
    box: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: box.update(result=runtime.build(invocation)))
    thread.start()
    nodes = Path(settings.artifact_store) / "runs" / invocation.invocation_id / "nodes"
    deadline = time.monotonic() + 90
    while not list(nodes.glob("*.json")):
        assert time.monotonic() < deadline, "no node finished"
        time.sleep(0.05)
    workers[0].stop(signal.SIGKILL)
    thread.join(180)

    result = box["result"]
    failed = [
        (node.unique_id, node.status, node.message)
        for node in result.nodes
        if node.status.is_failure
    ]
    assert result.status is RunStatus.SUCCESS, (result.error, failed)
    assert len(result.nodes) == 12
    assert {n.status for n in result.nodes} == {NodeStatus.SUCCESS}
