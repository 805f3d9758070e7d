from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from temporalio import client, workflow
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import (
    ExecuteWorkflowInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from floe_core import (
    DBTInvocation,
    FloeEvent,
    GeneratedProfile,
    NodeFinished,
    NodeStarted,
    NodeStatus,
    RunStatus,
)
from floe_dbt_temporal import (
    SEARCH_ATTRIBUTES,
    TemporalRuntime,
    TemporalRuntimeConfig,
    WorkerSettings,
)

pytestmark = [pytest.mark.slow, pytest.mark.temporal]


class ReplayedRuns(client.Interceptor, Interceptor):
    """Run ids whose workflow a worker replayed from their history: what a query of a closed
    run costs (Temporal answers it by replaying the whole run on a worker)."""

    def __init__(self) -> None:
        self.run_ids: list[str] = []

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        replayed = self.run_ids

        class Inbound(WorkflowInboundInterceptor):
            async def execute_workflow(self, input: ExecuteWorkflowInput) -> Any:
                if workflow.unsafe.is_replaying():
                    replayed.append(workflow.info().run_id)
                return await super().execute_workflow(input)

        return Inbound


@pytest.fixture(scope="module")
def short_history_server(temporal_server: Any) -> Iterator[Any]:
    """A second dev server that suggests continue-as-new after 60 history events."""
    env = temporal_server.loop.run(
        WorkflowEnvironment.start_local(
            dev_server_existing_path=temporal_server.cli,
            search_attributes=SEARCH_ATTRIBUTES,
            data_converter=pydantic_data_converter,
            dev_server_extra_args=[
                "--dynamic-config-value",
                "limit.historyCount.suggestContinueAsNew=60",
            ],
        )
    )
    try:
        yield type(temporal_server)(temporal_server.loop, env)
    finally:
        temporal_server.loop.run(env.shutdown())


def test_a_long_dag_continues_as_new_without_losing_results(
    short_history_server: Any,
    wide_project: Callable[..., Path],
    duckdb_profile: GeneratedProfile,
    tmp_path: Path,
) -> None:
    settings = WorkerSettings(
        address=short_history_server.address,
        task_queue="floe-can",
        artifact_store=str(tmp_path / "artifacts"),
        allow_any_project=True,  # a private copy of the project
        work_dir=tmp_path / "worker",
        # a sticky task the loaded worker takes late must not be replayed (counted below)
        sticky_queue_timeout_seconds=60,
    )
    runtime = TemporalRuntime(
        TemporalRuntimeConfig(
            address=settings.address,
            task_queue=settings.task_queue,
            artifact_store=settings.artifact_store,
            work_dir=tmp_path / "client",
        )
    )
    events: list[FloeEvent] = []
    runtime.events.subscribe(events.append)
    replayed = ReplayedRuns()
    with short_history_server.worker(settings, interceptors=[replayed]):
        project = wide_project(models=15, rows=1000)
        result = runtime.build(DBTInvocation(project_dir=project, profile=duckdb_profile))

    assert result.status is RunStatus.SUCCESS, result.error
    nodes = [n for n in result.nodes if n.resource_type != "operation"]
    assert len(nodes) == 15
    assert {n.status for n in nodes} == {NodeStatus.SUCCESS}
    # Every node's events arrive once, started before finished, across the chain's runs.
    node_events = [
        (type(e).__name__, e.unique_id if isinstance(e, NodeStarted) else e.result.unique_id)
        for e in events
        if isinstance(e, NodeStarted | NodeFinished)
    ]
    assert Counter(node_events) == Counter(
        {(kind, n.unique_id): 1 for n in nodes for kind in ("NodeStarted", "NodeFinished")}
    )
    for node in nodes:
        started = node_events.index(("NodeStarted", node.unique_id))
        assert started < node_events.index(("NodeFinished", node.unique_id))
    # Each run closed once its follower had read it: no query reached a closed run.
    assert replayed.run_ids == []

    async def runs_in_chain() -> tuple[str, str]:
        handle = short_history_server.env.client.get_workflow_handle(result.metadata["workflow_id"])
        description = await handle.describe()
        return description.run_id, handle.first_execution_run_id or result.metadata[
            "temporal_run_id"
        ]

    latest, first = short_history_server.loop.run(runs_in_chain())
    assert latest != first  # the run continued as new at least once
