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
from pydantic import Field
from temporalio.client import Client
from temporalio.service import RPCError
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from floe_dbt_inprocess.executor import ExecutorPool
from floe_dbt_temporal._activities import RunActivities
from floe_dbt_temporal._client import connect
from floe_dbt_temporal._config import StoreSettings
from floe_dbt_temporal._health import HealthServer
from floe_dbt_temporal._memory import limit_malloc_arenas
from floe_dbt_temporal._projects import ProjectEntry, ProjectRegistry
from floe_dbt_temporal._search_attributes import register_search_attributes
from floe_dbt_temporal._workflow import DbtRunWorkflow

__all__ = ["WorkerSettings", "build_worker", "serve"]

_log = structlog.get_logger("floe.temporal.worker")
_HEALTH_PROBE_SECONDS = 2.0


class WorkerSettings(StoreSettings):
    """Everything a worker process needs; secrets come from its environment only."""

    projects: dict[str, ProjectEntry] = Field(default_factory=dict)
    allow_any_project: bool = False
    """Run projects a client sends by path (with its profile), not only registered ones."""
    max_concurrent_activities: int = Field(default=4, ge=1)
    max_cached_executors: int = Field(default=4, ge=1)
    health_host: str = "127.0.0.1"
    health_port: int | None = None
    """None: no health endpoint; 0: any free port."""
    graceful_shutdown_seconds: float = Field(default=30.0, ge=0)
    """On SIGTERM, running nodes get this long to finish before they are handed back."""


def build_worker(
    client: Client, settings: WorkerSettings, *, extra_workflows: Sequence[type] = ()
) -> tuple[Worker, ExecutorPool]:
    """The worker (not started) and its executor pool (close it after the worker stops)."""
    pool = ExecutorPool(
        settings.work_dir / "executors", max_executors=settings.max_cached_executors
    )
    activities = RunActivities(
        registry=ProjectRegistry(
            settings.projects, settings.work_dir, allow_any_project=settings.allow_any_project
        ),
        pool=pool,
        store=settings.open_artifact_store(),
        work_dir=settings.work_dir,
    )
    worker = Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[DbtRunWorkflow, *extra_workflows],
        activities=activities.all(),
        activity_executor=ThreadPoolExecutor(settings.max_concurrent_activities),
        max_concurrent_activities=settings.max_concurrent_activities,
        graceful_shutdown_timeout=timedelta(seconds=settings.graceful_shutdown_seconds),
        # A dead worker's cached workflows move to another worker after this long (queries
        # and workflow tasks wait for it).
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=3),
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(
                "floe_core", "floe_dbt_temporal", "pydantic", "structlog", "yaml"
            )
        ),
    )
    return worker, pool


async def serve(settings: WorkerSettings, *, stop: asyncio.Event | None = None) -> None:
    """Run a worker until ``stop`` is set or SIGTERM/SIGINT arrives, then shut down cleanly:
    no new tasks are polled, running nodes finish (or are handed back after the grace time),
    connections close."""
    limit_malloc_arenas()  # before the Temporal core and the activity threads start
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    client = await connect(settings)
    await register_search_attributes(client, settings.namespace)
    worker, pool = build_worker(client, settings)
    health = None
    if settings.health_port is not None:
        health = HealthServer(
            lambda: _report(settings), host=settings.health_host, port=settings.health_port
        )
        await health.start()
        _log.info("health endpoint", url=f"http://{health.host}:{health.port}/health")
    try:
        async with worker:
            watcher = None
            if health is not None:
                health.healthy = True
                watcher = asyncio.ensure_future(_watch_server(client, settings, health, stop))
            _log.info("worker started", task_queue=settings.task_queue, address=settings.address)
            await stop.wait()
            if health is not None:
                health.healthy = False
            if watcher is not None:
                await watcher
            _log.info("worker stopping: finishing running nodes")
    finally:
        if health is not None:
            await health.stop()
        pool.close()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)


async def _watch_server(
    client: Client, settings: WorkerSettings, health: HealthServer, stop: asyncio.Event
) -> None:
    """Keep ``/health`` false while the worker cannot reach its server (it polls nothing
    then), true again once it can; each change is logged once."""
    while not stop.is_set():
        try:
            reachable = await client.service_client.check_health(
                timeout=timedelta(seconds=_HEALTH_PROBE_SECONDS)
            )
        except (RPCError, RuntimeError):
            reachable = False
        if reachable != health.healthy and not stop.is_set():
            health.healthy = reachable
            log = _log.info if reachable else _log.warning
            log(
                "Temporal " + ("reachable" if reachable else "unreachable"),
                address=settings.address,
            )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), _HEALTH_PROBE_SECONDS)


def _report(settings: WorkerSettings) -> dict[str, Any]:
    return {
        "task_queue": settings.task_queue,
        "namespace": settings.namespace,
        "projects": sorted(settings.projects),
    }
