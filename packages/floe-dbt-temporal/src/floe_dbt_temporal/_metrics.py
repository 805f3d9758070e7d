"""A worker's metrics: Temporal's own and floe's, through one Temporal ``Runtime``.

The runtime exports to Prometheus (``GET /metrics`` on ``metrics_prometheus_address``) or to
an OTLP collector (``metrics_otlp_endpoint``); floe's metrics are made on the runtime's own
meter, so they leave by the same exporter with no second metrics stack. Names (documented in
docs/temporal.md) are :data:`FLOE_METRICS`; Temporal's start with ``temporal_``.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from temporalio import activity
from temporalio.common import MetricMeter
from temporalio.exceptions import ApplicationError
from temporalio.runtime import (
    OpenTelemetryConfig,
    PrometheusConfig,
    Runtime,
    TelemetryConfig,
)
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from floe_core import ConfigError, NodeResult
from floe_dbt_temporal._worker_options import WorkerOptions

__all__ = ["FLOE_METRICS", "WorkerMetrics", "metrics_runtime"]

_NODE_ACTIVITY = "floe_node"
_SECONDS_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0)

FLOE_METRICS = {
    "floe_nodes": "counter: node executions finished, by status (success, error, fail, warn,"
    " pass, skipped...; 'retried' for an attempt that failed with a retryable error)",
    "floe_node_duration_seconds": "histogram: wall time of one node execution, by status",
    "floe_executor_leases": "counter: executor leases, by start (warm: reused; cold: parsed)",
    "floe_executor_parse_seconds": "histogram: time to parse and link a project (cold start)",
}


def metrics_runtime(options: WorkerOptions) -> Runtime | None:
    """A Temporal runtime exporting metrics as ``options`` say, or ``None`` (no metrics)."""
    buckets = {name: _SECONDS_BUCKETS for name in FLOE_METRICS if name.endswith("_seconds")}
    exporter: PrometheusConfig | OpenTelemetryConfig
    if options.metrics_prometheus_address:
        exporter = PrometheusConfig(
            bind_address=options.metrics_prometheus_address,
            durations_as_seconds=True,
            histogram_bucket_overrides=buckets,
        )
    elif options.metrics_otlp_endpoint:
        url = options.metrics_otlp_endpoint
        exporter = OpenTelemetryConfig(
            url=url,
            # OTLP/HTTP posts to .../v1/metrics; a bare host:port is the gRPC service.
            http=urlsplit(url).path.rstrip("/").endswith("/v1/metrics"),
            durations_as_seconds=True,
            histogram_bucket_overrides=buckets,
        )
    else:
        return None
    try:
        return Runtime(telemetry=TelemetryConfig(metrics=exporter))
    except ValueError as exc:  # the address is taken, or not one the exporter accepts
        raise ConfigError(
            f"cannot export worker metrics: {exc}",
            hint="choose a free address in metrics_prometheus_address"
            " (FLOE_WORKER_METRICS_PROMETHEUS_ADDRESS) or a valid metrics_otlp_endpoint",
        ) from exc


class WorkerMetrics(Interceptor):
    """floe's metrics on ``meter`` (a no-op meter when the runtime exports none): node
    executions as an activity interceptor, executor starts from the pool's callback."""

    def __init__(self, meter: MetricMeter) -> None:
        self._nodes = meter.create_counter("floe_nodes", FLOE_METRICS["floe_nodes"])
        self._node_seconds = meter.create_histogram_float(
            "floe_node_duration_seconds", FLOE_METRICS["floe_node_duration_seconds"], "s"
        )
        self._leases = meter.create_counter(
            "floe_executor_leases", FLOE_METRICS["floe_executor_leases"]
        )
        self._parse_seconds = meter.create_histogram_float(
            "floe_executor_parse_seconds", FLOE_METRICS["floe_executor_parse_seconds"], "s"
        )

    def executor_leased(self, parse_seconds: float | None) -> None:
        """``parse_seconds``: how long a cold start parsed; ``None``: a warm executor."""
        self._leases.add(1, {"start": "warm" if parse_seconds is None else "cold"})
        if parse_seconds is not None:
            self._parse_seconds.record(parse_seconds)

    def node_finished(self, status: str, seconds: float) -> None:
        self._nodes.add(1, {"status": status})
        self._node_seconds.record(seconds, {"status": status})

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _NodeTimer(next, self)


class _NodeTimer(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, metrics: WorkerMetrics) -> None:
        super().__init__(next)
        self._metrics = metrics

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        if activity.info().activity_type != _NODE_ACTIVITY:
            return await super().execute_activity(input)
        started = time.monotonic()
        status = "error"
        try:
            result = await super().execute_activity(input)
            if isinstance(result, NodeResult):
                status = result.status.value
            return result
        except ApplicationError as exc:
            status = "error" if exc.non_retryable else "retried"
            raise
        finally:
            self._metrics.node_finished(status, time.monotonic() - started)
