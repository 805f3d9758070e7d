"""A run whose artifact store is S3 (moto on loopback): nothing machine-local is shared.

The worker and the client each open ``s3://`` with credentials given as a ``${env:NAME}``
reference; the plan, manifest and node results the worker writes are what the client reads.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from floe_core import DBTInvocation, GeneratedProfile, NodeStatus, RunStatus
from floe_core.testing import S3Server
from floe_dbt_temporal import TemporalRuntime, TemporalRuntimeConfig, WorkerSettings
from floe_dbt_temporal._object_store import open_object_store

pytestmark = [pytest.mark.slow, pytest.mark.temporal]

BUCKET = "floe-temporal"


@pytest.fixture(scope="module")
def s3_options(s3_server: S3Server) -> dict[str, str | bool]:
    s3_server.create_bucket(BUCKET)
    return s3_server.options(secret_access_key="${env:FLOE_TEST_S3_SECRET}")


def test_a_run_keeps_its_manifest_and_results_in_s3(
    temporal_server: Any,
    s3_options: dict[str, str | bool],
    shop: Path,
    duckdb_profile: GeneratedProfile,
    task_queue: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLOE_TEST_S3_SECRET", "testing")
    store_url = f"s3://{BUCKET}/{uuid.uuid4().hex[:8]}"
    worker = WorkerSettings(
        address=temporal_server.address,
        task_queue=task_queue,
        artifact_store=store_url,
        artifact_options=s3_options,
        work_dir=tmp_path / "worker",
    )
    runtime = TemporalRuntime(
        TemporalRuntimeConfig(
            address=temporal_server.address,
            task_queue=task_queue,
            artifact_store=store_url,
            artifact_options=s3_options,
            work_dir=tmp_path / "client",
        )
    )
    invocation = DBTInvocation(project_dir=shop, profile=duckdb_profile)
    with temporal_server.worker(worker):
        result = runtime.build(invocation)

    failures = [(n.unique_id, n.message) for n in result.nodes if n.status.is_failure]
    assert result.status is RunStatus.SUCCESS, (result.error, failures)
    assert "model.shop.customers" in {n.unique_id for n in result.nodes}

    # Another machine reads the run back from the bucket alone.
    bucket = open_object_store(store_url, s3_options)
    run = f"runs/{invocation.invocation_id}"
    keys = bucket.list(run)
    assert {f"{run}/plan.json", f"{run}/manifest.json", f"{run}/results.json"} <= set(keys)
    results = json.loads(bucket.get(f"{run}/results.json"))
    stored = {n["unique_id"]: n["status"] for n in results}
    assert stored == {n.unique_id: n.status.value for n in result.nodes}
    assert stored["model.shop.customers"] == NodeStatus.SUCCESS.value
    for node in result.nodes:
        if node.status is not NodeStatus.SKIPPED:
            assert f"{run}/nodes/{node.unique_id}.json" in keys
    manifest = json.loads(bucket.get(f"{run}/manifest.json"))
    assert "model.shop.customers" in manifest["nodes"]
    # The client's local copy of the manifest is the one in S3, and no local store was made.
    assert result.manifest_path is not None
    assert result.manifest_path.read_bytes() == bucket.get(f"{run}/manifest.json")
    assert not list(tmp_path.rglob("runs"))
