from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from floe_core import DBTInvocation, GeneratedProfile, NodeStatus, RunStatus
from floe_core.testing import PostgresServer
from floe_dbt_temporal import TemporalRuntime

pytestmark = [pytest.mark.slow, pytest.mark.temporal, pytest.mark.postgres]

PASSWORD_ENV = "FLOE_TEST_PG_PASSWORD"


def test_two_worker_processes_share_one_run_on_postgres(
    temporal_server: Any,
    postgres_server: PostgresServer,
    postgres_database: str,
    make_runtime: Callable[..., TemporalRuntime],
    spawn_worker: Callable[..., Any],
    wide_project: Callable[..., Path],
) -> None:
    profile = GeneratedProfile(
        outputs={
            "dev": {
                "type": "postgres",
                "host": postgres_server.host,
                "port": postgres_server.port,
                "user": postgres_server.user,
                "password": f"{{{{ env_var('{PASSWORD_ENV}') }}}}",
                "dbname": postgres_database,
                "schema": "public",
                "threads": 4,
            }
        }
    )
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
    identities = {identity for uid, (_, identity) in starts.items() if uid.startswith("model.")}
    assert len(identities) == 2, identities  # both processes executed nodes

    async def history_bytes() -> bytes:
        handle = temporal_server.env.client.get_workflow_handle(result.metadata["workflow_id"])
        history = await handle.fetch_history()
        return history.to_json().encode()

    assert postgres_server.password.encode() not in temporal_server.loop.run(history_bytes())
    # SIGTERM: the worker stops polling, finishes, closes connections and exits 0.
    assert workers[0].stop(signal.SIGTERM) == 0
