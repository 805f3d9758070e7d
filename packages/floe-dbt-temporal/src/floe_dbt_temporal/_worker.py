"""A floe worker: the run workflow and its activities on one task queue, plus health.

One process serves any number of projects (a registry by name) through one pool of warm
executors. DuckDB files accept one writer process, so several worker *processes* need a
warehouse such as PostgreSQL; threads of one process share one adapter.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import structlog
from opentelemetry.trace import Tracer
from pydantic import Field
from temporalio.client import Client
from temporalio.runtime import Runtime
from temporalio.service import RPCError
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from floe_dbt_inprocess.executor import ExecutorPool
from floe_dbt_temporal._activities import RunActivities
from floe_dbt_temporal._cgroups import CgroupLimits, read_cgroup_limits
from floe_dbt_temporal._client import connect
from floe_dbt_temporal._config import StoreSettings
from floe_dbt_temporal._health import HealthServer, write_health_file
from floe_dbt_temporal._memory import limit_malloc_arenas
from floe_dbt_temporal._metrics import WorkerMetrics, metrics_runtime
from floe_dbt_temporal._projects import ProjectEntry, ProjectRegistry
from floe_dbt_temporal._search_attributes import register_search_attributes
from floe_dbt_temporal._worker_options import WorkerOptions
from floe_dbt_temporal._workflow import DbtRunWorkflow

__all__ = ["WorkerSettings", "build_worker", "serve"]

_log = structlog.get_logger("floe.temporal.worker")
_HEALTH_PROBE_SECONDS = 2.0


class WorkerSettings(StoreSettings, WorkerOptions):
    """Everything a worker process needs; secrets come from its environment only. Tuning,
    metrics and health are :class:`WorkerOptions` (the manifest's ``worker:`` section)."""

    projects: dict[str, ProjectEntry] = Field(default_factory=dict)
    allow_any_project: bool = False
    """Run projects a client sends by path (with its profile), not only registered ones."""
    max_cached_executors: int = Field(default=4, ge=1)
    allowed_env: tuple[str, ...] = ()
    """Names (shell patterns: ``TENANT_*``) of environment variables a run may set for dbt
    (its ``env``, ``env_from_worker`` and pre_run hooks' env) and of the worker variables
    ``env_from_worker`` may read; a run asking for another is refused."""


def build_worker(
    client: Client, settings: WorkerSettings, *, extra_workflows: Sequence[type] = ()
) -> tuple[Worker, ExecutorPool]:
    """The worker (not started) and its executor pool (close it after the worker stops)."""
    runtime = client.service_client.config.runtime or Runtime.default()
    metrics = WorkerMetrics(runtime.metric_meter)
    pool = ExecutorPool(
        settings.work_dir / "executors",
        max_executors=settings.max_cached_executors,
        on_lease=metrics.executor_leased,
    )
    activities = RunActivities(
        registry=ProjectRegistry(
            settings.projects, settings.work_dir, allow_any_project=settings.allow_any_project
        ),
        pool=pool,
        store=settings.open_artifact_store(),
        work_dir=settings.work_dir,
        allowed_env=settings.allowed_env,
    )
    worker = Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[DbtRunWorkflow, *extra_workflows],
        activities=activities.all(),
        # One thread per node slot (the resource-based tuner's maximum).
        activity_executor=ThreadPoolExecutor(settings.max_concurrent_activities),
        interceptors=[metrics],
        **settings.worker_kwargs(read_cgroup_limits()),
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(
                "floe_core", "floe_dbt_temporal", "pydantic", "structlog", "yaml"
            )
        ),
    )
    return worker, pool


async def serve(
    settings: WorkerSettings,
    *,
    stop: asyncio.Event | None = None,
    tracer: Tracer | None = None,
) -> None:
    """Run a worker until ``stop`` is set or SIGTERM/SIGINT arrives, then shut down cleanly:
    no new tasks are polled, running nodes finish (or are handed back after the grace time),
    connections close. ``tracer`` makes the worker's spans (workflow, activities) children of
    the invocation's span (default: the global tracer provider's)."""
    limit_malloc_arenas()  # before the Temporal core and the activity threads start
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    limits = read_cgroup_limits()
    client = await connect(settings, tracer=tracer, runtime=metrics_runtime(settings))
    await register_search_attributes(client, settings.namespace, settings.static_search_attributes)
    worker, pool = build_worker(client, settings)
    health = _Health(settings, limits)
    await health.start()
    try:
        async with worker:
            watcher = asyncio.ensure_future(health.watch(client, stop))
            _log.info(
                "worker started",
                task_queue=settings.task_queue,
                address=settings.address,
                tuner=settings.tuner,
                cgroup_cpu_cores=limits.cpu_cores,
                cgroup_memory_bytes=limits.memory_bytes,
                metrics=settings.metrics_prometheus_address or settings.metrics_otlp_endpoint,
            )
            await stop.wait()
            await watcher
            _log.info("worker stopping: finishing running nodes")
    finally:
        await health.stop()
        pool.close()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


class _Health:
    """The worker's health on its HTTP endpoint and in its health file (either optional):
    true while it reaches its Temporal server; each change is logged once."""

    def __init__(self, settings: WorkerSettings, limits: CgroupLimits) -> None:
        self.settings = settings
        self.limits = limits
        self.healthy = False
        self.server: HealthServer | None = None
        if settings.health_port is not None:
            self.server = HealthServer(
                self.report, host=settings.health_host, port=settings.health_port
            )

    def report(self) -> dict[str, Any]:
        return {
            "task_queue": self.settings.task_queue,
            "namespace": self.settings.namespace,
            "projects": sorted(self.settings.projects),
            "tuner": self.settings.tuner,
            "cgroup": {
                "cpu_cores": self.limits.cpu_cores,
                "memory_bytes": self.limits.memory_bytes,
            },
        }

    async def start(self) -> None:
        if self.server is not None:
            await self.server.start()
            _log.info("health endpoint", url=f"http://{self.server.host}:{self.server.port}/health")

    async def stop(self) -> None:
        self._set(False)
        if self.server is not None:
            await self.server.stop()

    def _set(self, healthy: bool) -> None:
        self.healthy = healthy
        if self.server is not None:
            self.server.healthy = healthy
        path = self.settings.health_file
        if path is not None:
            interval = self.settings.health_interval_seconds
            try:
                write_health_file(path, healthy, interval, self.report())
            except OSError as exc:  # a full or read-only disk: the probe will say stale
                _log.warning("cannot write the health file", path=str(path), error=str(exc))

    async def watch(self, client: Client, stop: asyncio.Event) -> None:
        """Probe the server until ``stop``; the file is rewritten at every probe."""
        period = min(_HEALTH_PROBE_SECONDS, self.settings.health_interval_seconds)
        while not stop.is_set():
            try:
                reachable = await client.service_client.check_health(
                    timeout=timedelta(seconds=_HEALTH_PROBE_SECONDS)
                )
            except (RPCError, RuntimeError):
                reachable = False
            if stop.is_set():
                break
            if reachable != self.healthy:
                log = _log.info if reachable else _log.warning
                log(
                    "Temporal " + ("reachable" if reachable else "unreachable"),
                    address=self.settings.address,
                )
            self._set(reachable)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), period)
        self._set(False)
