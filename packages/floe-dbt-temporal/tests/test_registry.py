from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from floe_core import DBTCommand, DBTInvocation, GeneratedProfile, RunStatus
from floe_dbt_temporal import (
    WORKFLOW_NAME,
    LocalProject,
    ProjectEntry,
    RunContext,
    RunInput,
    RunOutput,
    TemporalRuntime,
    WorkerSettings,
)

pytestmark = [pytest.mark.slow, pytest.mark.temporal]


def test_one_worker_serves_several_registered_projects(
    temporal_server: Any,
    settings: WorkerSettings,
    shop: Path,
    dag_project: Path,
    duckdb_profile: GeneratedProfile,
) -> None:
    """Runs name a registered project (no path, no profile in history) and override vars."""
    registry = {
        "shop": ProjectEntry(source=LocalProject(path=shop), profile=duckdb_profile),
        "dag": ProjectEntry(source=LocalProject(path=dag_project), profile=duckdb_profile),
    }
    worker_settings = settings.model_copy(update={"projects": registry})

    async def run(
        project: str, command: DBTCommand, select: tuple[str, ...] = (), **vars: Any
    ) -> RunOutput:
        output: RunOutput = await temporal_server.env.client.execute_workflow(
            WORKFLOW_NAME,
            RunInput(
                context=RunContext(
                    run_id=str(uuid.uuid4()), project=project, command=command, vars=vars
                ),
                select=select,
            ),
            id=f"registry-{uuid.uuid4()}",
            task_queue=settings.task_queue,
            result_type=RunOutput,
        )
        return output

    with temporal_server.worker(worker_settings):
        seeds = temporal_server.loop.run(run("shop", DBTCommand.SEED))
        dag = temporal_server.loop.run(run("dag", DBTCommand.RUN, ("fast_a", "fast_b")))
        failing = temporal_server.loop.run(
            run("shop", DBTCommand.RUN, ("stg_orders", "stg_payments", "orders"), fail_model=True)
        )
        unknown = temporal_server.loop.run(run("crm", DBTCommand.RUN))

    assert seeds.status is RunStatus.SUCCESS
    assert seeds.counts["success"] == 4
    assert dag.status is RunStatus.SUCCESS
    assert dag.counts["success"] == 2
    assert failing.status is RunStatus.FAILED
    assert failing.counts["error"] == 1
    assert failing.counts["success"] == 2
    assert unknown.status is RunStatus.ERROR
    assert "'crm' is not registered" in (unknown.error or "")


def test_a_worker_runs_only_its_projects_with_its_own_profile(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    shop: Path,
    dag_project: Path,
    duckdb_profile: GeneratedProfile,
    tmp_path: Path,
) -> None:
    strict = settings.model_copy(
        update={
            "allow_any_project": False,
            "projects": {
                "dag": ProjectEntry(source=LocalProject(path=dag_project), profile=duckdb_profile)
            },
        }
    )
    # What a client sends as profile is not what a worker serving the project uses.
    client_profile = GeneratedProfile(
        outputs={"dev": {"type": "duckdb", "path": str(tmp_path / "missing" / "x.duckdb")}}
    )
    runtime = make_runtime()
    with temporal_server.worker(strict):
        served = runtime.build(
            DBTInvocation(project_dir=dag_project, profile=client_profile, select=("fast_a",))
        )
        refused = runtime.build(DBTInvocation(project_dir=shop, profile=duckdb_profile))

    assert served.status is RunStatus.SUCCESS, served.error
    assert refused.status is RunStatus.ERROR
    assert "project 'shop' is not registered on this worker (known: dag)" in (refused.error or "")
    assert refused.nodes == ()
