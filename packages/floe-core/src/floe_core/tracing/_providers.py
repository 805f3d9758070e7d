"""Build the OpenTelemetry tracer and meter providers ``observability.tracing`` asks for."""

from __future__ import annotations

import os
from dataclasses import dataclass

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricExporter,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from floe_core._errors import ConfigError
from floe_core._extras import requires_extra
from floe_core._version import FLOE_VERSION
from floe_core.tracing._config import TracingConfig

__all__ = ["Providers", "build_providers"]

_METRIC_INTERVAL_MS = 60_000
"""Periodic metric export; the observer also flushes at the end of every invocation."""


@dataclass(frozen=True)
class Providers:
    tracer_provider: TracerProvider
    meter_provider: MeterProvider | None


def _exporter_kind(config: TracingConfig) -> str:
    kind = config.exporter or os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip() or "otlp"
    if kind not in ("otlp", "console", "none"):
        raise ConfigError(
            f"observability.tracing.exporter (or OTEL_TRACES_EXPORTER): unknown exporter {kind!r}",
            hint="use one of otlp, console, none",
        )
    return kind


def _protocol(config: TracingConfig) -> str:
    protocol = (
        config.protocol
        or os.environ.get("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
        or os.environ.get("OTEL_EXPORTER_OTLP_PROTOCOL")
        or "http/protobuf"
    )
    if protocol not in ("http/protobuf", "grpc"):
        raise ConfigError(
            f"observability.tracing.protocol (or OTEL_EXPORTER_OTLP_PROTOCOL): {protocol!r} "
            "is not supported",
            hint="use http/protobuf or grpc",
        )
    return protocol


def _otlp_exporters(config: TracingConfig) -> tuple[SpanExporter, MetricExporter]:
    headers = config.headers or None
    if _protocol(config) == "grpc":
        with requires_extra("tracing-grpc", "observability.tracing.protocol: grpc"):
            from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
            from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        return (
            OTLPSpanExporter(endpoint=config.endpoint, headers=headers, timeout=config.timeout),
            OTLPMetricExporter(endpoint=config.endpoint, headers=headers, timeout=config.timeout),
        )
    with requires_extra("tracing", "observability.tracing.protocol: http/protobuf"):
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import (
            OTLPMetricExporter as HTTPMetricExporter,
        )
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter as HTTPSpanExporter,
        )

    # Like OTEL_EXPORTER_OTLP_ENDPOINT, the configured endpoint is the collector's base URL.
    base = config.endpoint.rstrip("/") if config.endpoint else None
    return (
        HTTPSpanExporter(
            endpoint=f"{base}/v1/traces" if base else None, headers=headers, timeout=config.timeout
        ),
        HTTPMetricExporter(
            endpoint=f"{base}/v1/metrics" if base else None,
            headers=headers,
            timeout=config.timeout,
        ),
    )


def build_providers(config: TracingConfig) -> Providers:
    """Providers of their own (the process-global ones are left to the host application)."""
    attributes: dict[str, str] = {"service.version": FLOE_VERSION}
    service_name = config.service_name or os.environ.get("OTEL_SERVICE_NAME") or "floe"
    attributes["service.name"] = service_name
    resource = Resource.create(attributes)
    tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=False)
    kind = _exporter_kind(config)
    if kind == "none":
        return Providers(tracer_provider, None)
    span_exporter: SpanExporter
    metric_exporter: MetricExporter
    if kind == "console":
        span_exporter, metric_exporter = ConsoleSpanExporter(), ConsoleMetricExporter()
    else:
        span_exporter, metric_exporter = _otlp_exporters(config)
    timeout_ms = config.timeout * 1000
    tracer_provider.add_span_processor(
        BatchSpanProcessor(span_exporter, export_timeout_millis=timeout_ms)
    )
    meter_provider = None
    if config.metrics:
        reader = PeriodicExportingMetricReader(
            metric_exporter,
            export_interval_millis=_METRIC_INTERVAL_MS,
            export_timeout_millis=timeout_ms,
        )
        meter_provider = MeterProvider(
            resource=resource, metric_readers=[reader], shutdown_on_exit=False
        )
    return Providers(tracer_provider, meter_provider)
