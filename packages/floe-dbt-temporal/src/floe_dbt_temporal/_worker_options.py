"""How a worker process is tuned, exports metrics and reports health.

Set in the manifest (``plugins.dbt_runtime.config.worker``, checked by ``floe validate``),
by environment variables ``FLOE_WORKER_<FIELD>`` (``FLOE_WORKER_TUNER=resource_based``) and
by ``floe worker`` flags, each overriding the one before. Every field maps to one option of
temporalio's ``Worker`` or ``Runtime``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from floe_core import ConfigError
from floe_dbt_temporal._cgroups import CgroupLimits, host_cpu_target

if TYPE_CHECKING:
    from temporalio.worker import PollerBehavior, WorkerTuner

__all__ = ["ENV_PREFIX", "WorkerOptions", "options_from_env"]

ENV_PREFIX = "FLOE_WORKER_"


def _host_port(address: str) -> str:
    host, _, port = address.rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) < 65536:
        raise ValueError(f"{address!r} is not host:port (e.g. 0.0.0.0:9464)")
    return address


class WorkerOptions(BaseModel):
    """``worker:`` of the temporal runtime's config: tuning, metrics and health."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tuner: Literal["fixed", "resource_based"] = "fixed"
    """``fixed``: at most ``max_concurrent_activities`` nodes at once. ``resource_based``:
    Temporal's tuner hands out node slots while memory and CPU stay under their targets,
    between ``min_concurrent_activities`` and ``max_concurrent_activities``."""
    max_concurrent_activities: int = Field(default=4, ge=1, le=500)
    min_concurrent_activities: int = Field(default=1, ge=1)
    target_memory_usage: float = Field(default=0.8, gt=0, le=1)
    """Fraction of the memory (of the container when it has a cgroup limit)."""
    target_cpu_usage: float = Field(default=0.9, gt=0, le=1)
    """Fraction of the CPU, of the container's CPU quota when it has one."""
    max_concurrent_workflow_tasks: int | None = Field(default=None, ge=2)
    max_concurrent_local_activities: int | None = Field(default=None, ge=1)
    max_cached_workflows: int = Field(default=1000, ge=0)
    sticky_queue_timeout_seconds: float = Field(default=3.0, gt=0)
    """A dead worker's cached runs move to another worker after this long."""
    poller_autoscaling: bool = False
    """Let the server's feedback scale task pollers between 1 and ``max_pollers``."""
    max_pollers: int | None = Field(default=None, ge=2)
    """Pollers per task type (default 5; 100 with autoscaling)."""
    min_pollers: int = Field(default=1, ge=1)
    """Autoscaling: at least this many open polls."""
    initial_pollers: int = Field(default=5, ge=1)
    """Autoscaling: polls opened before the server's feedback arrives."""
    nonsticky_to_sticky_poll_ratio: float = Field(default=0.2, gt=0, le=1)
    """Workflow pollers on the shared queue per poller on this worker's sticky queue."""
    max_activities_per_second: float | None = Field(default=None, gt=0)
    """Nodes (and other activities) this worker starts per second."""
    max_task_queue_activities_per_second: float | None = Field(default=None, gt=0)
    """Activities per second on the whole task queue (the server enforces it, across workers)."""
    graceful_shutdown_seconds: float = Field(default=30.0, ge=0)
    """On SIGTERM, running nodes get this long to finish before they are handed back."""
    metrics_prometheus_address: str | None = None
    """``host:port`` serving ``GET /metrics`` (Temporal's and floe's metrics)."""
    metrics_otlp_endpoint: str | None = None
    """OTLP collector: ``http://host:4318/v1/metrics`` (HTTP) or ``http://host:4317`` (gRPC)."""
    health_host: str = "127.0.0.1"
    health_port: int | None = Field(default=None, ge=0, le=65535)
    """Serve ``GET /health`` on this port (0: any free port); none by default."""
    health_file: Path | None = None
    """Rewritten every ``health_interval_seconds`` while healthy (``floe worker healthcheck``)."""
    health_interval_seconds: float = Field(default=5.0, gt=0)

    @field_validator("metrics_prometheus_address")
    @classmethod
    def _prometheus_address(cls, address: str | None) -> str | None:
        return None if address is None else _host_port(address)

    @field_validator("metrics_otlp_endpoint")
    @classmethod
    def _otlp_url(cls, url: str | None) -> str | None:
        if url is not None and (urlsplit(url).scheme not in ("http", "https") or "//" not in url):
            raise ValueError(
                f"{url!r} is not an http(s) URL (e.g. http://collector:4318/v1/metrics)"
            )
        return url

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.metrics_prometheus_address and self.metrics_otlp_endpoint:
            raise ValueError(
                "set metrics_prometheus_address or metrics_otlp_endpoint, not both: Temporal's"
                " runtime exports to one; scrape Prometheus with an OpenTelemetry Collector to"
                " have both"
            )
        if self.min_concurrent_activities > self.max_concurrent_activities:
            raise ValueError(
                f"min_concurrent_activities ({self.min_concurrent_activities}) is above"
                f" max_concurrent_activities ({self.max_concurrent_activities})"
            )
        maximum = self.max_pollers or 100
        if self.poller_autoscaling and not self.min_pollers <= self.initial_pollers <= maximum:
            raise ValueError(
                f"pollers: need min_pollers ({self.min_pollers}) <= initial_pollers"
                f" ({self.initial_pollers}) <= max_pollers ({maximum})"
            )
        resource_only = {"min_concurrent_activities", "target_memory_usage", "target_cpu_usage"}
        misplaced = sorted(resource_only & self.model_fields_set)
        if self.tuner == "fixed" and misplaced:
            raise ValueError(
                f"{', '.join(misplaced)} apply to tuner resource_based only; set"
                " tuner: resource_based, or remove them"
            )
        return self

    # -- temporalio options ------------------------------------------------------------------
    def worker_kwargs(self, limits: CgroupLimits) -> dict[str, Any]:
        """Keyword arguments of ``temporalio.worker.Worker`` (slots, pollers, rates)."""
        kwargs: dict[str, Any] = {
            "max_cached_workflows": self.max_cached_workflows,
            "sticky_queue_schedule_to_start_timeout": timedelta(
                seconds=self.sticky_queue_timeout_seconds
            ),
            "max_activities_per_second": self.max_activities_per_second,
            "max_task_queue_activities_per_second": self.max_task_queue_activities_per_second,
            # Activities the server hands back with a workflow task's completion (eager
            # dispatch) bypass the worker's rate limiter: a limited worker polls for each.
            "disable_eager_activity_execution": self.max_activities_per_second is not None,
            "graceful_shutdown_timeout": timedelta(seconds=self.graceful_shutdown_seconds),
            "nonsticky_to_sticky_poll_ratio": self.nonsticky_to_sticky_poll_ratio,
            "workflow_task_poller_behavior": self._pollers(),
            "activity_task_poller_behavior": self._pollers(),
        }
        if self.tuner == "resource_based":
            kwargs["tuner"] = self.resource_tuner(limits)
        else:
            kwargs["max_concurrent_activities"] = self.max_concurrent_activities
            kwargs["max_concurrent_workflow_tasks"] = self.max_concurrent_workflow_tasks
            kwargs["max_concurrent_local_activities"] = self.max_concurrent_local_activities
        return kwargs

    def resource_tuner(self, limits: CgroupLimits) -> WorkerTuner:
        # temporalio.worker is imported where a worker is built (it costs seconds): `floe
        # validate` reads these options without it.
        from temporalio.worker import ResourceBasedSlotConfig, WorkerTuner

        return WorkerTuner.create_resource_based(
            target_memory_usage=self.target_memory_usage,
            target_cpu_usage=host_cpu_target(self.target_cpu_usage, limits),
            activity_config=ResourceBasedSlotConfig(
                minimum_slots=self.min_concurrent_activities,
                maximum_slots=self.max_concurrent_activities,
            ),
            workflow_config=ResourceBasedSlotConfig(
                maximum_slots=self.max_concurrent_workflow_tasks
            ),
            local_activity_config=ResourceBasedSlotConfig(
                maximum_slots=self.max_concurrent_local_activities
            ),
        )

    def _pollers(self) -> PollerBehavior:
        from temporalio.worker import PollerBehaviorAutoscaling, PollerBehaviorSimpleMaximum

        if self.poller_autoscaling:
            return PollerBehaviorAutoscaling(
                minimum=self.min_pollers,
                maximum=self.max_pollers or 100,
                initial=self.initial_pollers,
            )
        return PollerBehaviorSimpleMaximum(maximum=self.max_pollers or 5)


def options_from_env(environ: Mapping[str, str]) -> dict[str, str]:
    """``FLOE_WORKER_<FIELD>`` variables as raw option values, each checked on its own so an
    error names the variable."""
    found: dict[str, str] = {}
    for field in WorkerOptions.model_fields:
        name = ENV_PREFIX + field.upper()
        value = environ.get(name)
        if value is None or value == "":
            continue
        info = WorkerOptions.model_fields[field]
        try:
            adapter: TypeAdapter[Any] = TypeAdapter(Annotated[info.annotation, info])  # type: ignore[arg-type]
            adapter.validate_python(value)
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"]
            raise ConfigError(
                f"environment variable {name}={value!r}: {reason}",
                hint=f"fix or unset {name} (see docs/temporal.md, 'Tuning')",
            ) from None
        found[field] = value
    return found
