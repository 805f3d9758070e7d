"""A worker as an operator runs it: configured by a manifest's ``worker:`` section and
``FLOE_WORKER_*`` variables, serving a project from S3 (moto), tuned by Temporal's
resource-based tuner, exporting metrics on a Prometheus endpoint (or to an OTLP/HTTP
collector on loopback), probed by ``floe worker healthcheck``."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from floe_core import DBTInvocation, DBTRunResult, GeneratedProfile, NodeStatus, RunStatus
from floe_core.api import Floe
from floe_core.cli import cli
from floe_core.manifest import load_manifest
from floe_core.testing import S3Server
from floe_dbt_temporal import TemporalRuntime, TemporalRuntimeConfig, WorkerSettings
from floe_dbt_temporal._metrics import metrics_runtime
from floe_dbt_temporal._worker_setup import worker_settings

pytestmark = [pytest.mark.slow, pytest.mark.temporal]

FLOE = str(Path(sys.executable).parent / "floe")
SHOP = Path(__file__).resolve().parents[3] / "examples" / "shop"
_BUCKET = "floe-worker-ops"
_METRIC = re.compile(r"^(?P<name>[a-z_]+)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")

_MANIFEST = """\
apiVersion: floe.dev/v1
kind: PlatformManifest
metadata: {{name: ops}}
project: {{dir: shop, target: dev}}
compute: {{type: duckdb, config: {{path: {warehouse}, threads: 4}}}}
plugins:
  dbt_runtime:
    type: temporal
    config:
      address: "{address}"
      task_queue: {queue}
      artifact_store: {store}
      artifact_options: {options}
      worker:
        tuner: resource_based
        min_concurrent_activities: 2
        max_concurrent_activities: 4
        target_memory_usage: 0.95
        target_cpu_usage: 1.0
        poller_autoscaling: true
        sticky_queue_timeout_seconds: 5
        max_activities_per_second: 200
"""


def _free_address() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"


def _upload(s3: S3Server, folder: Path, prefix: str) -> None:
    client = s3.client()
    for path in folder.rglob("*"):
        if path.is_file():
            key = f"{prefix}/{path.relative_to(folder).as_posix()}"
            client.put_object(Bucket=_BUCKET, Key=key, Body=path.read_bytes())


def _metrics(address: str) -> dict[tuple[str, str], float]:
    """(name, labels) -> value of each sample on the worker's Prometheus endpoint."""
    with urllib.request.urlopen(f"http://{address}/metrics", timeout=10) as response:
        text = response.read().decode()
    samples: dict[tuple[str, str], float] = {}
    for line in text.splitlines():
        match = _METRIC.match(line)
        if match:
            key = (match["name"], match["labels"] or "")
            samples[key] = float(match["value"])
    return samples


def _total(samples: dict[tuple[str, str], float], name: str, label: str = "") -> float:
    return sum(v for (n, labels), v in samples.items() if n == name and label in labels)


def test_an_operator_configured_worker_serves_a_project_from_s3(
    temporal_server: Any,
    s3_server: S3Server,
    spawn_worker: Callable[..., Any],
    tmp_path: Path,
    task_queue: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLOE_TEST_S3_SECRET", "testing")
    s3_server.create_bucket(_BUCKET)
    options = s3_server.options(secret_access_key="${env:FLOE_TEST_S3_SECRET}")
    run_prefix = uuid.uuid4().hex[:8]
    store = f"s3://{_BUCKET}/{run_prefix}/artifacts"
    # The release in S3 has one model more than the client's copy: the worker runs S3's.
    release = tmp_path / "release"
    shutil.copytree(SHOP, release, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb"))
    (release / "models" / "only_in_s3.sql").write_text("select 1 as release")
    _upload(s3_server, release, f"{run_prefix}/projects/shop")
    project_url = f"s3://{_BUCKET}/{run_prefix}/projects/shop"

    shutil.copytree(SHOP, tmp_path / "shop", ignore=shutil.ignore_patterns("target", "logs"))
    warehouse = tmp_path / "warehouse.duckdb"
    manifest_path = tmp_path / "platform-manifest.yaml"
    manifest_path.write_text(
        _MANIFEST.format(
            warehouse=warehouse,
            address=temporal_server.address,
            queue=task_queue,
            store=store,
            options="{" + ", ".join(f'{k}: "{v}"' for k, v in options.items()) + "}",
        )
    )
    checked = subprocess.run(
        [FLOE, "validate", "--manifest", str(manifest_path)], capture_output=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr

    metrics_address = _free_address()
    health_file = tmp_path / "health.json"
    worker_dir = tmp_path / "worker-ops"
    settings = WorkerSettings(
        address=temporal_server.address,
        task_queue=task_queue,
        artifact_store=store,
        max_concurrent_activities=4,
    )
    spawn_worker(
        "ops",
        settings=settings,
        args=("--manifest", str(manifest_path), "--project", f"shop={project_url}"),
        FLOE_WORKER_METRICS_PROMETHEUS_ADDRESS=metrics_address,
        FLOE_WORKER_HEALTH_FILE=str(health_file),
        FLOE_WORKER_HEALTH_INTERVAL_SECONDS="1",
        FLOE_TEST_S3_SECRET="testing",
    )
    probe = subprocess.run([FLOE, "worker", "healthcheck"], env={
        **os.environ, "FLOE_WORKER_HEALTH_FILE": str(health_file)
    }, capture_output=True, text=True)  # fmt: skip
    assert probe.returncode == 0, probe.stdout + probe.stderr

    runtime = TemporalRuntime(
        TemporalRuntimeConfig(
            address=temporal_server.address,
            task_queue=task_queue,
            artifact_store=store,
            artifact_options=options,
            work_dir=tmp_path / "client",
        )
    )
    floe = Floe(load_manifest(manifest_path), runtime)
    first = floe.build()
    assert first.status is RunStatus.SUCCESS, [(n.unique_id, n.message) for n in first.nodes]
    assert "model.shop.only_in_s3" in {n.unique_id for n in first.nodes}

    # Unchanged in S3: the cached version runs, nothing is downloaded again.
    cached = list((worker_dir / "objects").glob("*/*"))
    assert len(cached) == 1
    fetched_at = cached[0].stat().st_mtime_ns
    again = floe.build(select=("only_in_s3",))
    assert again.status is RunStatus.SUCCESS
    assert [p.stat().st_mtime_ns for p in (worker_dir / "objects").glob("*/*")] == [fetched_at]

    # A new release under the same prefix is a new version: fetched once, then run.
    s3_server.client().put_object(
        Bucket=_BUCKET,
        Key=f"{run_prefix}/projects/shop/models/only_in_s3.sql",
        Body=b"select 2 as release",
    )
    changed = floe.build(select=("only_in_s3",))
    assert changed.status is RunStatus.SUCCESS
    assert len(list((worker_dir / "objects").glob("*/*"))) == 2
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        assert connection.execute("select release from only_in_s3").fetchall() == [(2,)]

    samples = _metrics(metrics_address)
    succeeded = sum(n.status is NodeStatus.SUCCESS for n in first.nodes + again.nodes)
    assert _total(samples, "floe_nodes", 'status="success"') >= succeeded
    assert _total(samples, "floe_node_duration_seconds_count") >= len(first.nodes)
    assert _total(samples, "floe_executor_leases", 'start="cold"') >= 2  # two versions
    assert _total(samples, "floe_executor_leases", 'start="warm"') > len(first.nodes)
    assert _total(samples, "floe_executor_parse_seconds_count") >= 2
    # Temporal's own worker metrics on the same endpoint.
    assert _total(samples, "temporal_activity_execution_latency_count") > 0
    assert _total(samples, "temporal_workflow_completed") >= 3
    # The resource-based tuner is the one handing out slots (it measures memory).
    assert _total(samples, "temporal_resource_slots_mem_usage") > 0


class _OtlpReceiver(BaseHTTPRequestHandler):
    """An OTLP/HTTP metrics collector: keeps the name of every metric it is sent."""

    names: set[str]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportMetricsServiceRequest()
        request.ParseFromString(body)
        for resource in request.resource_metrics:
            for scope in resource.scope_metrics:
                self.names.update(metric.name for metric in scope.metrics)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def otlp_receiver() -> Iterator[tuple[str, set[str]]]:
    """For the whole session: a worker's Temporal runtime cannot be closed from Python, so it
    goes on exporting until the process ends."""
    names: set[str] = set()
    handler = type("Receiver", (_OtlpReceiver,), {"names": names})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1/metrics", names
    server.shutdown()
    thread.join()


def test_metrics_reach_an_otlp_collector(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    dag_project: Path,
    duckdb_profile: GeneratedProfile,
    otlp_receiver: tuple[str, set[str]],
) -> None:
    url, names = otlp_receiver
    exporting = settings.model_copy(update={"metrics_otlp_endpoint": url})
    invocation = DBTInvocation(
        project_dir=dag_project, profile=duckdb_profile, select=("fast_a", "fast_b")
    )
    with temporal_server.worker(exporting, runtime=metrics_runtime(exporting)):
        result = make_runtime().build(invocation)
        deadline = time.monotonic() + 30
        wanted = {"floe_nodes", "floe_node_duration_seconds", "temporal_workflow_completed"}
        while not wanted <= names and time.monotonic() < deadline:
            time.sleep(0.2)
    assert result.status is RunStatus.SUCCESS
    assert wanted <= names, sorted(names)
    assert "floe_executor_leases" in names
    assert "temporal_worker_task_slots_available" in names  # the fixed tuner's gauge


_RATE_MANIFEST = """\
apiVersion: floe.dev/v1
kind: PlatformManifest
project: {{dir: {project}, target: dev}}
compute: {{type: duckdb, config: {{path: {warehouse}, threads: 4}}}}
artifacts: {{path: results}}
plugins:
  dbt_runtime:
    type: temporal
    config:
      address: "{address}"
      task_queue: {queue}
      artifact_store: {store}
      work_dir: {work}
      worker:
        max_concurrent_activities: {slots}
        sticky_queue_timeout_seconds: 6
{limits}"""


def _independent_project(root: Path, nodes: int) -> Path:
    project = root / "flat"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: flat\nversion: '1.0'\nconfig-version: 2\nprofile: floe\n"
        "models:\n  flat:\n    +materialized: view\n",
        encoding="utf-8",
    )
    for index in range(nodes):
        (project / "models" / f"n{index}.sql").write_text(f"select {index} as id")
    return project


def _node_start_span(
    temporal_server: Any,
    root: Path,
    queue: str,
    nodes: int,
    limits: str,
    environ: dict[str, str],
) -> tuple[float, Any]:
    """Build the flat project with a worker set up from a manifest's ``worker:`` section
    (plus ``limits`` lines) and ``environ``: seconds between the first and the last node start
    in the stored record of a second run, and the worker as temporalio built it."""
    root.mkdir()
    project = _independent_project(root, nodes)
    manifest_path = root / "platform-manifest.yaml"
    manifest_path.write_text(
        _RATE_MANIFEST.format(
            project=project,
            warehouse=root / "warehouse.duckdb",
            address=temporal_server.address,
            queue=queue,
            store=root / "artifacts",
            work=root / "client",
            slots=nodes,
            limits=limits,
        )
    )
    settings = worker_settings(manifest_path, (), {"work_dir": root / "worker"}, environ)
    with temporal_server.worker(settings) as worker, Floe.from_manifest(manifest_path) as floe:
        # The first run warms the worker's executor; on a loaded machine its nodes wait for
        # that together and then start at once, whatever the limiter spaced.
        floe.build()
        result = floe.build()
    assert result.status is RunStatus.SUCCESS, [(n.unique_id, n.message) for n in result.nodes]
    shown = CliRunner().invoke(
        cli, ["runs", "show", result.invocation_id, "--json", "--manifest", str(manifest_path)]
    )
    assert shown.exit_code == 0, shown.output
    stored = DBTRunResult.model_validate_json(shown.output)
    starts = sorted(n.started_at for n in stored.nodes if n.started_at is not None)
    assert len(starts) == nodes
    return (starts[-1] - starts[0]).total_seconds(), worker


def test_rate_limits_space_node_starts_and_the_sticky_timeout_reaches_the_worker(
    temporal_server: Any, tmp_path: Path, task_queue: str
) -> None:
    """2 activities/s, per worker from the manifest's ``worker:``, then per queue from
    ``FLOE_WORKER_*``: 6 independent nodes with 6 slots (all ready at once, started within
    ~0.3 s without a limit) start at most 2 a second, so the first and the last node start
    are >= 2 s apart (asserted >= 1.5 s: a node starts a little after its activity).
    Lower bounds only: with the executor warm, load can only stretch them."""
    per_worker, worker = _node_start_span(
        temporal_server, tmp_path / "worker", f"{task_queue}-w", 6,
        "        max_activities_per_second: 2\n", {},
    )  # fmt: skip
    assert per_worker >= 1.5, per_worker
    config = worker.config(active_config=True)
    assert config["max_activities_per_second"] == 2
    assert config["disable_eager_activity_execution"] is True  # eager ones skip the limiter
    # The sticky queue timeout as temporalio hands it to the worker (the server does not
    # report it; observing it would take a worker dying with a cached run: timing).
    assert config["sticky_queue_schedule_to_start_timeout"] == timedelta(seconds=6)

    per_queue, worker = _node_start_span(
        temporal_server, tmp_path / "queue", f"{task_queue}-q", 6, "",
        {"FLOE_WORKER_MAX_TASK_QUEUE_ACTIVITIES_PER_SECOND": "2"},
    )  # fmt: skip
    assert per_queue >= 1.5, per_queue
    assert worker.config(active_config=True)["max_task_queue_activities_per_second"] == 2
