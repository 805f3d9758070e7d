"""The tracing run observer: one span per invocation, a child span per node, and metrics.

Span start and end are in-memory operations (the batch span processor exports on its own
thread), so they happen in ``__call__`` itself: span ids then exist the moment a node starts,
and the lineage observer can link each lineage run to its span. Node spans take their times
from the events, so nodes that ran in another process or service keep their real timing.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from datetime import datetime

import structlog
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from floe_core._events import (
    FloeEvent,
    NodeFinished,
    NodeSkipped,
    NodeStarted,
    RunFinished,
    RunStarted,
)
from floe_core._invocation import DBTInvocation
from floe_core._results import NodeResult, NodeStatus, RunStatus
from floe_core._version import FLOE_VERSION
from floe_core.tracing._config import TracingConfig
from floe_core.tracing._propagation import context_from_carrier, inject_carrier
from floe_core.tracing._providers import build_providers

__all__ = ["TracingObserver", "create_tracing_observer"]

_log = structlog.get_logger("floe.tracing")
_KEPT_INVOCATIONS = 16
_SCOPE = "floe"

_RUN_RESULT = {
    RunStatus.SUCCESS: "success",
    RunStatus.FAILED: "failure",
    RunStatus.ERROR: "error",
    RunStatus.CANCELLED: "cancellation",
    RunStatus.TIMED_OUT: "timeout",
}
_TASK_RESULT = {
    NodeStatus.SUCCESS: "success",
    NodeStatus.WARN: "success",
    NodeStatus.FAIL: "failure",
    NodeStatus.ERROR: "error",
    NodeStatus.SKIPPED: "skip",
}


def _ns(moment: datetime | None) -> int | None:
    return int(moment.timestamp() * 1_000_000_000) if moment is not None else None


def _hex_ids(span: Span) -> tuple[str, str]:
    context = span.get_span_context()
    return trace.format_trace_id(context.trace_id), trace.format_span_id(context.span_id)


class TracingObserver:
    """A :class:`~floe_core.RunObserver` producing OpenTelemetry spans and metrics."""

    def __init__(
        self,
        tracer_provider: TracerProvider,
        meter_provider: MeterProvider | None = None,
        *,
        owns_providers: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self._owns_providers = owns_providers
        self._timeout_ms = int(timeout * 1000)
        self._tracer = tracer_provider.get_tracer(_SCOPE, FLOE_VERSION)
        self._lock = threading.Lock()
        self._runs: dict[str, Span] = {}
        self._nodes: dict[tuple[str, str], Span] = {}
        # Span ids by invocation, then node (None: the invocation's own span). Kept for a few
        # finished invocations, as the lineage worker may look them up a little later.
        self._ids: dict[str, dict[str | None, tuple[str, str]]] = {}
        self._finished: deque[str] = deque()
        self._run_attributes: dict[str, dict[str, str]] = {}
        if meter_provider is not None:
            meter = meter_provider.get_meter(_SCOPE, FLOE_VERSION)
            self._run_duration = meter.create_histogram(
                "cicd.pipeline.run.duration", unit="s", description="Duration of a floe run"
            )
            self._node_duration = meter.create_histogram(
                "dbt.node.duration", unit="s", description="Duration of a dbt node"
            )
            self._node_count = meter.create_counter(
                "dbt.node.count", unit="{node}", description="dbt nodes by outcome"
            )

    # -- RunObserver -----------------------------------------------------------------------
    def prepare(self, invocation: DBTInvocation) -> DBTInvocation:
        """Open the invocation span and put its W3C context into ``trace_context``."""
        span = self._start_run_span(
            invocation.invocation_id,
            f"floe {invocation.project_dir.name}",
            None,
            invocation.trace_context,
        )
        return invocation.model_copy(update={"trace_context": inject_carrier(span)})

    def __call__(self, event: FloeEvent) -> None:
        if isinstance(event, RunStarted):
            self._run_started(event)
        elif isinstance(event, NodeStarted):
            self._node_started(event)
        elif isinstance(event, NodeFinished | NodeSkipped):
            self._node_finished(event.invocation_id, event.result, event.emitted_at)
        elif isinstance(event, RunFinished):
            self._run_finished(event)

    def close(self) -> None:
        """End spans a broken run left open, then flush (bounded by the export timeout)."""
        with self._lock:
            open_spans = [*self._nodes.values(), *self._runs.values()]
            self._nodes.clear()
            self._runs.clear()
        for span in open_spans:
            span.set_status(Status(StatusCode.ERROR, "the run ended without reporting it"))
            span.end()
        providers: list[TracerProvider | MeterProvider] = [self.tracer_provider]
        if self.meter_provider is not None:
            providers.append(self.meter_provider)
        # Spans and metrics flush side by side, so a dead collector costs one timeout, not two.
        finishers = [
            threading.Thread(target=self._finish, args=(provider,), daemon=True)
            for provider in providers
        ]
        for finisher in finishers:
            finisher.start()
        deadline = time.monotonic() + self._timeout_ms / 1000
        for finisher in finishers:
            finisher.join(max(deadline - time.monotonic(), 0.0))
        if any(finisher.is_alive() for finisher in finishers):
            _log.warning(
                "telemetry export did not finish within the timeout; the rest is dropped",
                timeout=self._timeout_ms / 1000,
            )

    def _finish(self, provider: TracerProvider | MeterProvider) -> None:
        """Flush a provider, shut it down if it is ours; export problems are only logged."""
        try:
            if self._owns_providers:
                provider.shutdown()  # flushes first
            else:
                provider.force_flush(self._timeout_ms)
        except Exception:
            _log.exception("telemetry export failed")

    # -- lookups ---------------------------------------------------------------------------
    def span_ids(self, invocation_id: str, unique_id: str | None = None) -> tuple[str, str] | None:
        """Hex ``(trace_id, span_id)`` of a node's span (the invocation's without a node)."""
        return self._ids.get(invocation_id, {}).get(unique_id)

    # -- spans -----------------------------------------------------------------------------
    def _start_run_span(
        self,
        invocation_id: str,
        name: str,
        start: datetime | None,
        carrier: dict[str, str],
    ) -> Span:
        span = self._tracer.start_span(
            name,
            context=context_from_carrier(carrier),
            kind=SpanKind.INTERNAL,
            start_time=_ns(start),
            attributes={"cicd.pipeline.run.id": invocation_id},
        )
        with self._lock:
            self._runs[invocation_id] = span
            self._ids[invocation_id] = {None: _hex_ids(span)}
        return span

    def _run_started(self, event: RunStarted) -> None:
        span = self._runs.get(event.invocation_id)
        name = f"{event.command.value} {event.project_name}"
        if span is None:  # not prepared: join the caller's trace from the event, if any
            span = self._start_run_span(
                event.invocation_id, name, event.started_at, event.trace_context
            )
        span.update_name(name)
        attributes = {
            "cicd.pipeline.name": event.project_name,
            "cicd.pipeline.action.name": "run",
            "floe.runtime": event.runtime,
            "dbt.command": event.command.value,
        }
        if event.target:
            attributes["dbt.target"] = event.target
        span.set_attributes(attributes)
        self._run_attributes[event.invocation_id] = {
            "cicd.pipeline.name": event.project_name,
            "floe.runtime": event.runtime,
        }

    def _node_started(self, event: NodeStarted) -> None:
        span = self._start_node_span(
            event.invocation_id,
            event.unique_id,
            event.resource_type,
            event.materialization,
            event.started_at,
        )
        with self._lock:
            self._nodes[(event.invocation_id, event.unique_id)] = span

    def _start_node_span(
        self,
        invocation_id: str,
        unique_id: str,
        resource_type: str,
        materialization: str | None,
        start: datetime | None,
    ) -> Span:
        parent = self._runs.get(invocation_id)
        context = trace.set_span_in_context(parent) if parent is not None else None
        attributes = {
            "cicd.pipeline.task.name": unique_id,
            "cicd.pipeline.task.run.id": f"{invocation_id}/{unique_id}",
            "cicd.pipeline.run.id": invocation_id,
            "dbt.unique_id": unique_id,
            "dbt.resource_type": resource_type,
        }
        if materialization:
            attributes["dbt.materialization"] = materialization
        span = self._tracer.start_span(
            unique_id, context=context, start_time=_ns(start), attributes=attributes
        )
        self._ids.setdefault(invocation_id, {})[unique_id] = _hex_ids(span)
        return span

    def _node_finished(self, invocation_id: str, result: NodeResult, emitted_at: datetime) -> None:
        with self._lock:
            span = self._nodes.pop((invocation_id, result.unique_id), None)
        if span is None:  # skipped before it began, or the runtime reports only results
            span = self._start_node_span(
                invocation_id,
                result.unique_id,
                result.resource_type,
                result.materialization,
                result.started_at or result.completed_at or emitted_at,
            )
        attributes: dict[str, str | int] = {
            "cicd.pipeline.task.run.result": _TASK_RESULT[result.status],
            "dbt.status": result.status.value,
        }
        if result.materialization:
            attributes["dbt.materialization"] = result.materialization
        if result.adapter_response.rows_affected is not None:
            attributes["dbt.rows_affected"] = result.adapter_response.rows_affected
        if result.failures is not None:
            attributes["dbt.failures"] = result.failures
        if result.status.is_failure:
            error_type = f"dbt.{result.status.value}"
            attributes["error.type"] = error_type
            message = result.message or f"{result.unique_id} {result.status.value}"
            span.add_event(
                "exception",
                {"exception.type": error_type, "exception.message": message},
                timestamp=_ns(result.completed_at or emitted_at),
            )
            span.set_status(Status(StatusCode.ERROR, message))
        span.set_attributes(attributes)
        span.end(end_time=_ns(result.completed_at or emitted_at))
        if self.meter_provider is not None:
            metric_attributes = {
                **self._run_attributes.get(invocation_id, {}),
                "dbt.resource_type": result.resource_type,
                "dbt.status": result.status.value,
            }
            self._node_count.add(1, metric_attributes)
            if result.status is not NodeStatus.SKIPPED:
                self._node_duration.record(result.execution_time, metric_attributes)

    def _run_finished(self, event: RunFinished) -> None:
        result = event.result
        with self._lock:
            span = self._runs.pop(event.invocation_id, None)
            self._finished.append(event.invocation_id)
            while len(self._finished) > _KEPT_INVOCATIONS:
                self._ids.pop(self._finished.popleft(), None)
        if span is None:
            return
        span.set_attribute("cicd.pipeline.result", _RUN_RESULT[result.status])
        if result.status is not RunStatus.SUCCESS:
            span.set_attribute("error.type", f"floe.run.{result.status.value}")
            span.set_status(Status(StatusCode.ERROR, result.error or result.status.value))
        span.end(end_time=_ns(result.completed_at))
        if self.meter_provider is not None:
            self._run_duration.record(
                result.elapsed_seconds,
                {
                    **self._run_attributes.pop(event.invocation_id, {}),
                    "cicd.pipeline.result": _RUN_RESULT[result.status],
                    "dbt.command": result.command.value,
                },
            )


def create_tracing_observer(
    config: TracingConfig,
    *,
    tracer_provider: TracerProvider | None = None,
    meter_provider: MeterProvider | None = None,
) -> TracingObserver | None:
    """The tracing observer for ``config``, or ``None`` when tracing is off.

    Without explicit providers it builds its own from ``config`` (and ``OTEL_*``) and shuts them
    down in :meth:`TracingObserver.close`; given providers (tests, host applications with their
    own OpenTelemetry setup) are only flushed.
    """
    if not config.enabled or os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return None
    if tracer_provider is not None:
        return TracingObserver(tracer_provider, meter_provider, timeout=config.timeout)
    providers = build_providers(config)
    return TracingObserver(
        providers.tracer_provider,
        providers.meter_provider,
        owns_providers=True,
        timeout=config.timeout,
    )
