"""The temporal runtime's run artifacts in S3 (moto on loopback) through floe-core's stores:
what one worker writes, another machine reads, checked against the hash in the reference."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from floe_core import DBTCommand, ExecutionPlan, NodeResult, NodeStatus, PlannedNode, RunStatus
from floe_core.stores import ArtifactCorruptedError, ArtifactNotFoundError, ArtifactStore
from floe_dbt_temporal._artifacts import RunArtifacts
from floe_dbt_temporal._object_store import open_object_store, read_artifact

BUCKET = "floe-shared"


@pytest.fixture
def machines(s3_options: dict[str, Any], s3_secret: None) -> tuple[ArtifactStore, ArtifactStore]:
    """Two independent clients of one bucket: a worker and the client reading its results."""
    url = f"s3://{BUCKET}/temporal"
    return open_object_store(url, s3_options), open_object_store(url, s3_options)


def _node(name: str, status: NodeStatus) -> NodeResult:
    return NodeResult(
        unique_id=f"model.shop.{name}", name=name, resource_type="model", status=status
    )


def test_node_results_written_by_a_worker_are_read_by_another_machine(
    machines: tuple[ArtifactStore, ArtifactStore],
) -> None:
    worker, client = machines
    run_id = "run-1"
    for node in (_node("a", NodeStatus.SUCCESS), _node("b", NodeStatus.ERROR)):
        RunArtifacts(worker, run_id).put_node_result(node)
    plan = ExecutionPlan(
        project_name="shop",
        nodes=(
            PlannedNode(unique_id="model.shop.a", name="a", resource_type="model"),
            PlannedNode(unique_id="model.shop.b", name="b", resource_type="model"),
            PlannedNode(
                unique_id="model.shop.c",
                name="c",
                resource_type="model",
                depends_on=("model.shop.b",),
            ),
        ),
    )
    reading = RunArtifacts(client, run_id)
    results = reading.complete_results(plan)
    assert [(r.name, r.status) for r in results] == [
        ("a", NodeStatus.SUCCESS),
        ("b", NodeStatus.ERROR),
        ("c", NodeStatus.SKIPPED),
    ]

    refs = reading.write_run_files(
        results,
        command=DBTCommand.BUILD,
        status=RunStatus.FAILED,
        started_at=datetime.now(UTC),
        elapsed_seconds=1.0,
        dbt_version="1.11",
    )
    assert refs["log"].uri == f"s3://{BUCKET}/temporal/runs/{run_id}/dbt.log"
    assert b"ERROR=1" in read_artifact(worker, refs["log"])


def test_a_changed_or_foreign_artifact_is_an_error_naming_it(
    machines: tuple[ArtifactStore, ArtifactStore],
) -> None:
    worker, client = machines
    ref = worker.put("runs/run-2/manifest.json", b'{"nodes": {}}')
    assert read_artifact(client, ref) == b'{"nodes": {}}'

    worker.put("runs/run-2/manifest.json", b'{"nodes": {')
    with pytest.raises(ArtifactCorruptedError, match=r"runs/run-2/manifest\.json is corrupted"):
        read_artifact(client, ref)

    foreign = ref.model_copy(update={"uri": "s3://elsewhere/runs/run-2/manifest.json"})
    with pytest.raises(ArtifactNotFoundError) as caught:
        read_artifact(client, foreign)
    assert caught.value.hint is not None
    assert f"s3://{BUCKET}/temporal" in caught.value.hint
