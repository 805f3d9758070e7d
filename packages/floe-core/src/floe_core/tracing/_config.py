"""``observability.tracing`` in platform-manifest.yaml."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["TracingConfig"]


class TracingConfig(BaseModel):
    """OpenTelemetry spans and metrics.

    Unset fields fall back to the standard ``OTEL_*`` variables (``OTEL_TRACES_EXPORTER``,
    ``OTEL_EXPORTER_OTLP_PROTOCOL``, ``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_SERVICE_NAME``,
    ``OTEL_RESOURCE_ATTRIBUTES``, ...); ``OTEL_SDK_DISABLED=true`` disables.
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = False
    exporter: Literal["otlp", "console", "none"] | None = None
    """Where spans and metrics go (``OTEL_TRACES_EXPORTER``, default ``otlp``)."""
    protocol: Literal["http/protobuf", "grpc"] | None = None
    """OTLP protocol (``OTEL_EXPORTER_OTLP_PROTOCOL``, default ``http/protobuf``)."""
    endpoint: str | None = None
    """OTLP base URL, e.g. ``http://collector:4318`` (``OTEL_EXPORTER_OTLP_ENDPOINT``)."""
    headers: dict[str, str] = Field(default_factory=dict)
    """Extra OTLP request headers (``OTEL_EXPORTER_OTLP_HEADERS``)."""
    service_name: str | None = None
    """``service.name`` of the resource (``OTEL_SERVICE_NAME``, default ``floe``)."""
    timeout: float = Field(default=10.0, gt=0)
    """Export timeout in seconds; also the longest a run's end waits for the exporter."""
    metrics: bool = True
    """Also record run and node metrics."""
