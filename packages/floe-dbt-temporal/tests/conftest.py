"""A real Temporal dev server per session, in-process workers, and private project copies."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from opentelemetry.trace import Tracer
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import Runtime
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Interceptor, Worker

from floe_core import GeneratedProfile
from floe_dbt_temporal import (
    SEARCH_ATTRIBUTES,
    TemporalRuntime,
    TemporalRuntimeConfig,
    WorkerSettings,
    build_worker,
)
from floe_dbt_temporal._client import connect

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[3]
TEMPORAL_CLI = shutil.which("temporal") or str(REPO / ".venv" / "bin" / "temporal")
SHOP = REPO / "examples" / "shop"


class LoopThread:
    """An event loop in a thread: sync tests drive the async SDK through :meth:`run`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 120) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join()


class TemporalServer:
    def __init__(self, loop: LoopThread, env: WorkflowEnvironment) -> None:
        self.loop = loop
        self.env = env
        self.address = env.client.service_client.config.target_host
        self.cli = TEMPORAL_CLI

    @contextmanager
    def worker(
        self,
        settings: WorkerSettings,
        *,
        extra_workflows: tuple[type, ...] = (),
        tracer: Tracer | None = None,
        runtime: Runtime | None = None,
        interceptors: Sequence[Interceptor] = (),
    ) -> Iterator[Worker]:
        """An in-process worker for the block (yielded, as temporalio built it); shut down
        explicitly (sdk-python #300). ``runtime``: a Temporal runtime of its own (its metrics
        exporter); ``interceptors``: worker interceptors besides floe's."""

        async def start() -> Any:
            client = await connect(settings, tracer=tracer, runtime=runtime)
            if interceptors:
                config = client.config()
                config["interceptors"] = [*config["interceptors"], *interceptors]
                client = Client(**config)
            worker, pool = build_worker(client, settings, extra_workflows=extra_workflows)
            task = asyncio.ensure_future(worker.run())
            return worker, pool, task

        worker, pool, task = self.loop.run(start())
        try:
            yield worker
        finally:
            self.loop.run(worker.shutdown())
            self.loop.run(asyncio.wait_for(task, 30))
            pool.close()

    def activity_starts(self, workflow_id: str) -> dict[str, tuple[int, str]]:
        """Activity id -> (attempt, worker identity) of its started event in the history
        (Temporal records the start of the last attempt only)."""

        async def fetch() -> dict[str, tuple[int, str]]:
            history = await self.env.client.get_workflow_handle(workflow_id).fetch_history()
            scheduled: dict[int, str] = {}
            started: dict[str, tuple[int, str]] = {}
            for event in history.events:
                if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
                    attrs = event.activity_task_scheduled_event_attributes
                    scheduled[event.event_id] = attrs.activity_id
                elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                    attrs = event.activity_task_started_event_attributes
                    started[scheduled[attrs.scheduled_event_id]] = (attrs.attempt, attrs.identity)
            return started

        return self.loop.run(fetch())


@pytest.fixture(scope="session")
def temporal_server() -> Iterator[TemporalServer]:
    loop = LoopThread()
    env = loop.run(
        WorkflowEnvironment.start_local(
            dev_server_existing_path=TEMPORAL_CLI,
            search_attributes=SEARCH_ATTRIBUTES,
            data_converter=pydantic_data_converter,
        )
    )
    try:
        yield TemporalServer(loop, env)
    finally:
        loop.run(env.shutdown())
        loop.close()


@pytest.fixture
def duckdb_profile(tmp_path: Path) -> GeneratedProfile:
    """A generated profile on a DuckDB file of this test."""
    path = tmp_path / "warehouse.duckdb"
    return GeneratedProfile(outputs={"dev": {"type": "duckdb", "path": str(path), "threads": 4}})


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    project = tmp_path / "shop"
    shutil.copytree(SHOP, project, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb"))
    return project


@pytest.fixture
def task_queue() -> str:
    return f"floe-test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def settings(temporal_server: TemporalServer, tmp_path: Path, task_queue: str) -> WorkerSettings:
    return WorkerSettings(
        address=temporal_server.address,
        task_queue=task_queue,
        artifact_store=str(tmp_path / "artifacts"),
        work_dir=tmp_path / "worker",
        max_concurrent_activities=4,
        # Most tests run a private copy of a project; test_registry covers registration.
        allow_any_project=True,
    )


@pytest.fixture
def make_runtime(settings: WorkerSettings) -> Callable[..., TemporalRuntime]:
    """A client runtime for the test's task queue and artifact store; kwargs: config fields."""

    def make(**overrides: Any) -> TemporalRuntime:
        config = TemporalRuntimeConfig(
            address=settings.address,
            task_queue=settings.task_queue,
            artifact_store=settings.artifact_store,
            work_dir=settings.work_dir.parent / "client",
            **overrides,
        )
        return TemporalRuntime(config)

    return make


_DAG_MODELS = {
    # ~1-3 s of DuckDB work; everything else is ~0.1 s.
    "slow": "select sum(i % 7) as total from range(300000000) t(i)",
    "fast_a": "select 1 as id",
    "fast_b": "select id + 1 as id from {{ ref('fast_a') }}",
    "fast_c": "select id + 1 as id from {{ ref('fast_b') }}",
    "joined": "select * from {{ ref('fast_c') }} cross join {{ ref('slow') }}",
    # Fails with an I/O error (transient) on its first attempt, succeeds on the second:
    # each attempt leaves a marker file, the first finds none.
    "flaky": """
{%- set markers = var('marker_dir') -%}
{%- if execute -%}
{%- set count_markers = "select count(*) from glob('" ~ markers ~ "/*.csv')" -%}
{%- set n = run_query(count_markers).columns[0].values()[0] -%}
{%- do run_query("copy (select 1 as x) to '" ~ markers ~ "/attempt_" ~ n ~ ".csv'") -%}
{%- else -%}{%- set n = 1 -%}{%- endif -%}
{%- if n == 0 %}select * from read_csv('{{ markers }}/missing.csv')
{%- else %}select {{ n }} as attempts{% endif %}
""",
    # Reads a variable a pre_run hook adds to the environment.
    "from_env": "select {{ env_var('FLOE_HOOK_VALUE', '0') }} as hook_value",
    # A compilation error only when the model runs (parsing succeeds).
    "broken": """
{%- if execute -%}{{ exceptions.raise_compiler_error("broken on purpose") }}{%- endif -%}
select 1 as id
""",
}


@pytest.fixture
def dag_project(tmp_path: Path) -> Path:
    """A project made to observe scheduling and retries (see ``_DAG_MODELS``)."""
    project = tmp_path / "dag"
    (project / "models").mkdir(parents=True)
    (tmp_path / "markers").mkdir()
    (project / "dbt_project.yml").write_text(
        "name: dag\nversion: '1.0'\nconfig-version: 2\nprofile: floe\n"
        f"vars:\n  marker_dir: {tmp_path / 'markers'}\n"
        "models:\n  dag:\n    +materialized: table\n",
        encoding="utf-8",
    )
    for name, sql in _DAG_MODELS.items():
        (project / "models" / f"{name}.sql").write_text(sql, encoding="utf-8")
    return project


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class WorkerProcess:
    """``floe worker`` in its own process, ready once its health endpoint answers 200."""

    def __init__(
        self,
        settings: WorkerSettings,
        work_dir: Path,
        env: dict[str, str],
        args: tuple[str, ...] = (),
    ) -> None:
        self.health_port = _free_port()
        command = [
            str(Path(sys.executable).parent / "floe"),
            "worker",
            "--address",
            settings.address,
            "--task-queue",
            settings.task_queue,
            "--artifact-store",
            settings.artifact_store,
            "--work-dir",
            str(work_dir),
            "--max-concurrent-activities",
            str(settings.max_concurrent_activities),
            "--health-port",
            str(self.health_port),
            "--graceful-shutdown-seconds",
            "5",
            *(["--allow-any-project"] if settings.allow_any_project else []),
            *args,
        ]
        self.log = work_dir.with_suffix(".log")
        work_dir.mkdir(parents=True, exist_ok=True)
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env}
            )
        self._wait_healthy()

    def health(self) -> tuple[int, dict[str, Any]]:
        url = f"http://127.0.0.1:{self.health_port}/health"
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    def _wait_healthy(self, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log.read_text()[-2000:]}")
            try:
                if self.health()[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"worker not healthy after {timeout}s: {self.log.read_text()[-2000:]}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)


@pytest.fixture
def spawn_worker(
    settings: WorkerSettings, tmp_path: Path
) -> Iterator[Callable[..., WorkerProcess]]:
    """Start ``floe worker`` processes for this test's task queue (or ``settings=``), with
    more command-line ``args`` and ``env``; all stopped at the end."""
    started: list[WorkerProcess] = []

    def spawn(
        name: str, settings: WorkerSettings = settings, args: tuple[str, ...] = (), **env: str
    ) -> WorkerProcess:
        worker = WorkerProcess(settings, tmp_path / f"worker-{name}", env, args)
        started.append(worker)
        return worker

    yield spawn
    for worker in started:
        worker.stop(signal.SIGKILL)


_CLIENT_MANIFEST = """\
apiVersion: floe.dev/v1
kind: PlatformManifest
project: {{dir: {project}, target: dev}}
plugins:
  dbt_runtime:
    type: temporal
    config:
      address: "{address}"
      task_queue: {queue}
      artifact_store: {store}
      work_dir: {work}
compute: {{type: duckdb, config: {{path: {warehouse}, threads: 4}}}}
artifacts: {{path: results}}
"""


@pytest.fixture
def client_manifest(settings: WorkerSettings, tmp_path: Path) -> Callable[[Path, Path], Path]:
    """``client_manifest(project, warehouse)``: tmp_path/platform-manifest.yaml of runtime
    temporal on this test's server and queue; runs kept under tmp_path/results."""

    def write(project: Path, warehouse: Path) -> Path:
        manifest = tmp_path / "platform-manifest.yaml"
        manifest.write_text(
            _CLIENT_MANIFEST.format(
                project=project,
                address=settings.address,
                queue=settings.task_queue,
                store=settings.artifact_store,
                work=tmp_path / "client",
                warehouse=warehouse,
            )
        )
        return manifest

    return write


class DevServer:
    """``temporal server start-dev`` on free loopback ports and a database file of its own,
    so a test can stop it and start it again on the same state."""

    def __init__(self, db_file: Path, *, search_attributes: bool = True) -> None:
        self.db_file = db_file
        self.search_attributes = search_attributes
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            TEMPORAL_CLI, "server", "start-dev", "--headless", "--ip", "127.0.0.1",
            "--port", str(self.port), "--http-port", str(_free_port()),
            "--metrics-port", str(_free_port()), "--db-filename", str(self.db_file),
            "--log-level", "error",
        ]  # fmt: skip
        for key in SEARCH_ATTRIBUTES if self.search_attributes else ():
            command += ["--search-attribute", f"{key.name}=Keyword"]
        log = self.db_file.with_suffix(".log").open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ready = subprocess.run(
                [TEMPORAL_CLI, "operator", "cluster", "health", "--address", self.address],
                capture_output=True,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.3)
        raise TimeoutError(f"temporal dev server on {self.address} did not come up")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(30)


@pytest.fixture
def dev_server(tmp_path: Path) -> Iterator[DevServer]:
    """A Temporal dev server of this test only, which it may stop and start again."""
    server = DevServer(tmp_path / "temporal.db")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def bare_dev_server(tmp_path: Path) -> Iterator[DevServer]:
    """A stock ``temporal server start-dev``: floe's search attributes are not registered."""
    server = DevServer(tmp_path / "bare.db", search_attributes=False)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def wide_project(tmp_path: Path) -> Callable[..., Path]:
    """A factory of projects of ``models`` tables in 3 layers; the first layer scans ``rows``
    generated rows (SQL valid on DuckDB and PostgreSQL)."""

    def make(models: int = 24, rows: int = 30_000_000) -> Path:
        return _write_wide_project(tmp_path, models=models, rows=rows)

    return make


def _write_wide_project(root: Path, *, models: int, rows: int) -> Path:
    project = root / "wide"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: wide\nversion: '1.0'\nconfig-version: 2\nprofile: floe\n"
        "models:\n  wide:\n    +materialized: table\n",
        encoding="utf-8",
    )
    per_layer = max(1, models // 3)
    for index in range(models):
        layer = min(index // per_layer, 2)
        parent = index % per_layer + (layer - 1) * per_layer
        source = (
            f"select sum(i % 7) as total from generate_series(1, {rows}) as t(i)"
            if layer == 0
            else f"select total + 1 as total from {{{{ ref('m{parent}') }}}}"
        )
        (project / "models" / f"m{index}.sql").write_text(source, encoding="utf-8")
    return project
