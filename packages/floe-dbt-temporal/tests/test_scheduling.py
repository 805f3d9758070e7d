from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from floe_core import DBTInvocation, GeneratedProfile, NodeStatus, RunStatus
from floe_dbt_temporal import RetrySettings, TemporalRuntime, WorkerSettings

pytestmark = [pytest.mark.slow, pytest.mark.temporal]


def test_a_slow_node_does_not_delay_an_unrelated_branch(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    dag_project: Path,
    duckdb_profile: GeneratedProfile,
) -> None:
    invocation = DBTInvocation(project_dir=dag_project, profile=duckdb_profile, select=("+joined",))
    with temporal_server.worker(settings):
        result = make_runtime().build(invocation)

    assert result.status is RunStatus.SUCCESS, result.error
    slow, fast_b = result.node("model.dag.slow"), result.node("model.dag.fast_b")
    assert slow.completed_at is not None
    assert fast_b.started_at is not None
    # fast_b sits at the level after slow's: a level barrier would hold it back until slow
    # ended. (Not fast_c's end: on a quiet machine slow takes ~0.8 s, as long as the chain.)
    assert fast_b.started_at < slow.completed_at
    assert result.node("model.dag.joined").started_at >= slow.completed_at  # type: ignore[operator]


def test_a_transient_error_is_retried_and_a_compile_error_is_not(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    dag_project: Path,
    duckdb_profile: GeneratedProfile,
    tmp_path: Path,
) -> None:
    retry = RetrySettings(initial_interval_seconds=0.5, maximum_attempts=3)
    runtime = make_runtime(retry=retry)
    invocation = DBTInvocation(
        project_dir=dag_project, profile=duckdb_profile, select=("flaky", "broken")
    )
    # The same transient error, declared final by the manifest's non_retryable_errors.
    final = make_runtime(retry=retry, non_retryable_errors=[r"No files? found .*missing\.csv"])
    with temporal_server.worker(settings):
        result = runtime.build(invocation)
        markers = sorted(p.name for p in (tmp_path / "markers").iterdir())
        for marker in (tmp_path / "markers").iterdir():
            marker.unlink()
        not_retried = final.build(DBTInvocation(**invocation.model_dump(exclude={"invocation_id"})))

    assert result.status is RunStatus.FAILED
    assert result.node("model.dag.flaky").status is NodeStatus.SUCCESS
    broken = result.node("model.dag.broken")
    assert broken.status is NodeStatus.ERROR
    assert "broken on purpose" in (broken.message or "")
    attempts = temporal_server.activity_starts(result.metadata["workflow_id"])
    assert attempts["model.dag.flaky"][0] == 2
    assert attempts["model.dag.broken"][0] == 1
    assert markers == ["attempt_0.csv", "attempt_1.csv"]
    flaky = not_retried.node("model.dag.flaky")
    assert flaky.status is NodeStatus.ERROR
    assert "missing.csv" in (flaky.message or "")
    assert (
        temporal_server.activity_starts(not_retried.metadata["workflow_id"])["model.dag.flaky"][0]
        == 1
    )
    assert [p.name for p in (tmp_path / "markers").iterdir()] == ["attempt_0.csv"]


def test_nodes_sharing_an_activity_keep_their_own_results_and_retries(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    dag_project: Path,
    duckdb_profile: GeneratedProfile,
    tmp_path: Path,
) -> None:
    """One activity slot for three ready nodes: they share one ``floe_nodes`` activity. The
    transient failure retries that activity, which executes only the flaky node again."""
    retry = RetrySettings(initial_interval_seconds=0.5, maximum_attempts=3)
    runtime = make_runtime(retry=retry, max_concurrency=1, node_batch_size=4)
    invocation = DBTInvocation(
        project_dir=dag_project, profile=duckdb_profile, select=("flaky", "broken", "fast_a")
    )
    with temporal_server.worker(settings):
        result = runtime.build(invocation)

    attempts = temporal_server.activity_starts(result.metadata["workflow_id"])
    batches = [activity for activity in attempts if activity.startswith("batch:")]
    assert len(batches) == 1
    assert attempts[batches[0]][0] == 2
    assert not {"model.dag.flaky", "model.dag.broken", "model.dag.fast_a"} & set(attempts)
    assert result.status is RunStatus.FAILED
    flaky, fast_a = result.node("model.dag.flaky"), result.node("model.dag.fast_a")
    assert flaky.status is NodeStatus.SUCCESS
    assert fast_a.status is NodeStatus.SUCCESS
    broken = result.node("model.dag.broken")
    assert broken.status is NodeStatus.ERROR
    assert "broken on purpose" in (broken.message or "")
    assert sorted(p.name for p in (tmp_path / "markers").iterdir()) == [
        "attempt_0.csv",
        "attempt_1.csv",
    ]
    # fast_a ran on the first attempt only: the retry waited >= 0.5 s before flaky again
    assert flaky.started_at is not None
    assert fast_a.completed_at is not None
    assert (flaky.started_at - fast_a.completed_at).total_seconds() >= 0.4
