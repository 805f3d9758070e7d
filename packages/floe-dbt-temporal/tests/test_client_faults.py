"""What the run record says when the client side meets real faults: a Temporal server that
restarts mid-run, a client stopped by SIGTERM, a run no worker serves."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from structlog.testing import capture_logs

from floe_core import (
    DBTInvocation,
    DBTRunResult,
    GeneratedProfile,
    NodeStatus,
    RunStatus,
    RuntimeExecutionError,
)
from floe_core.artifacts import read_index
from floe_dbt_temporal import TemporalRuntime, TemporalRuntimeConfig, WorkerSettings
from floe_dbt_temporal._client import connect

pytestmark = [pytest.mark.slow, pytest.mark.temporal]

FLOE = str(Path(sys.executable).parent / "floe")


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _healthcheck(health_file: Path) -> int:
    """The exit code of ``floe worker healthcheck`` as a Kubernetes exec probe runs it."""
    command = [FLOE, "worker", "healthcheck", "--file", str(health_file)]
    return subprocess.run(command, capture_output=True, timeout=60).returncode


def _stored_nodes(settings: WorkerSettings, invocation_id: str) -> int:
    folder = Path(settings.artifact_store) / "runs" / invocation_id / "nodes"
    return len(list(folder.glob("*.json")))


def test_a_server_restart_mid_run_ends_with_the_true_outcome(
    dev_server: Any,
    settings: WorkerSettings,
    spawn_worker: Callable[..., Any],
    tmp_path: Path,
    duckdb_profile: GeneratedProfile,
    wide_project: Callable[..., Path],
) -> None:
    own = settings.model_copy(update={"address": dev_server.address})
    health_file = tmp_path / "health" / "worker.json"
    worker = spawn_worker(
        "a",
        settings=own,
        FLOE_WORKER_HEALTH_FILE=str(health_file),
        FLOE_WORKER_HEALTH_INTERVAL_SECONDS="0.5",
    )
    assert _healthcheck(health_file) == 0
    runtime = TemporalRuntime(
        TemporalRuntime.config_model(
            address=own.address,
            task_queue=own.task_queue,
            artifact_store=own.artifact_store,
            work_dir=tmp_path / "client",
            heartbeat_timeout_seconds=3,
            max_concurrency=2,
        )
    )
    invocation = DBTInvocation(project_dir=wide_project(models=9), profile=duckdb_profile)
    box: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: box.update(result=runtime.build(invocation)))
    thread.start()
    _wait_for(lambda: _stored_nodes(own, invocation.invocation_id) >= 1, "a first node")
    dev_server.stop()
    _wait_for(lambda: worker.health()[0] == 503, "the worker to report the server unreachable")
    # The exec probe (health file) says the same as the endpoint.
    _wait_for(lambda: _healthcheck(health_file) == 1, "the health file to say unhealthy")
    dev_server.start()
    _wait_for(lambda: worker.health()[0] == 200, "the worker to report the server back")
    _wait_for(lambda: _healthcheck(health_file) == 0, "the health file to say healthy")
    thread.join(240)
    worker.stop()
    assert _healthcheck(health_file) == 1  # a stopped worker leaves an unhealthy file

    result = box["result"]
    assert result.status is RunStatus.SUCCESS, [(n.unique_id, n.message) for n in result.nodes]
    assert len(result.nodes) == 9
    assert all(node.status is NodeStatus.SUCCESS for node in result.nodes)


def test_a_run_no_worker_serves_ends_after_the_pickup_timeout(
    temporal_server: Any, make_runtime: Callable[..., TemporalRuntime], shop: Path,
    duckdb_profile: GeneratedProfile, settings: WorkerSettings,
) -> None:  # fmt: skip
    runtime = make_runtime(pickup_timeout_seconds=1.5)
    invocation = DBTInvocation(project_dir=shop, profile=duckdb_profile)
    with pytest.raises(RuntimeExecutionError) as raised:
        runtime.build(invocation)
    message = str(raised.value)
    assert f"no worker is polling task queue {settings.task_queue!r}" in message
    assert f"on Temporal at {settings.address}" in message
    assert "floe worker" in message
    workflow = temporal_server.env.client.get_workflow_handle(f"floe-{invocation.invocation_id}")
    description = temporal_server.loop.run(workflow.describe())
    assert description.status.name == "TERMINATED"


def test_sigterm_leaves_the_run_detached_and_attach_follows_it_to_its_end(
    settings: WorkerSettings,
    client_manifest: Callable[[Path, Path], Path],
    spawn_worker: Callable[..., Any],
    tmp_path: Path,
    wide_project: Callable[..., Path],
    temporal_server: Any,
) -> None:
    project = wide_project(models=9)
    manifest = client_manifest(project, tmp_path / "warehouse.duckdb")
    spawn_worker("a")
    env = {**os.environ, "FLOE_MANIFEST": str(manifest)}
    client = subprocess.Popen(
        [FLOE, "build"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    _wait_for(lambda: bool(read_index(tmp_path / "results", "wide")), "the detached record")
    [record] = read_index(tmp_path / "results", "wide")
    assert record.status is RunStatus.DETACHED  # what a client killed right now leaves
    assert record.handle is not None
    assert record.handle.external_id == f"floe-{record.invocation_id}"
    _wait_for(lambda: _stored_nodes(settings, record.invocation_id) >= 1, "a first node")
    client.send_signal(signal.SIGTERM)
    _, stderr = client.communicate(timeout=60)
    assert client.returncode == 3, stderr
    assert f"floe runs attach {record.invocation_id}" in stderr.decode()

    listed = subprocess.run(
        [FLOE, "runs", "list", "--json"], env=env, cwd=tmp_path, capture_output=True, check=True
    )
    [entry] = json.loads(listed.stdout)
    assert (entry["invocation_id"], entry["status"]) == (record.invocation_id, "detached")

    attached = subprocess.run(
        [FLOE, "runs", "attach", record.invocation_id[:8]],
        env=env, cwd=tmp_path, capture_output=True, timeout=240,
    )  # fmt: skip
    assert attached.returncode == 0, attached.stderr.decode()
    [final] = read_index(tmp_path / "results", "wide")
    assert (final.status, final.nodes, final.failures) == (RunStatus.SUCCESS, 9, 0)
    # One workflow, each node executed once: attaching started nothing again.
    attempts = temporal_server.activity_starts(record.handle.external_id)
    assert all(attempt == 1 for attempt, _ in attempts.values()), attempts
    shown = subprocess.run(
        [FLOE, "runs", "show", record.invocation_id, "--json"],
        env=env, cwd=tmp_path, capture_output=True, check=True,
    )  # fmt: skip
    assert json.loads(shown.stdout)["status"] == "success"


def test_a_server_without_floes_search_attributes_runs_untagged_until_a_worker_adds_them(
    bare_dev_server: Any,
    temporal_server: Any,
    settings: WorkerSettings,
    spawn_worker: Callable[..., Any],
    shop: Path,
    duckdb_profile: GeneratedProfile,
    tmp_path: Path,
) -> None:
    own = settings.model_copy(update={"address": bare_dev_server.address})
    config = TemporalRuntimeConfig(
        address=own.address,
        task_queue=own.task_queue,
        artifact_store=own.artifact_store,
        work_dir=tmp_path / "client",
    )
    runtime = TemporalRuntime(config)

    def build() -> DBTRunResult:
        return runtime.build(
            DBTInvocation(project_dir=shop, profile=duckdb_profile, select=("raw_customers",))
        )

    with capture_logs() as logs, temporal_server.worker(own):  # registers nothing
        first, second = build(), build()
        # The worker idles between runs: it does not keep the DuckDB file locked.
        warehouse = duckdb_profile.outputs["dev"]["path"]
        script = f"import duckdb; duckdb.connect({warehouse!r}).execute('create table t(x int)')"
        other = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
        assert other.returncode == 0, other.stderr
    assert (first.status, second.status) == (RunStatus.SUCCESS, RunStatus.SUCCESS)
    warned = [log for log in logs if "search attributes" in log["event"]]
    assert len(warned) == 1, logs
    assert warned[0]["log_level"] == "warning"

    spawn_worker("a", settings=own)  # `floe worker` registers them at start-up
    tagged = TemporalRuntime(config).build(
        DBTInvocation(project_dir=shop, profile=duckdb_profile, select=("raw_customers",))
    )
    assert tagged.status is RunStatus.SUCCESS
    workflow = temporal_server.env.client.get_workflow_handle(tagged.metadata["workflow_id"])

    async def tags() -> dict[str, Any]:
        client = await connect(own)
        description = await client.get_workflow_handle(workflow.id).describe()
        return {pair.key.name: pair.value for pair in description.typed_search_attributes}

    assert temporal_server.loop.run(tags())["DbtProject"] == "shop"
