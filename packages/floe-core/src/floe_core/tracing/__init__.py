"""OpenTelemetry spans and metrics from the floe event stream (``observability.tracing``)."""

from __future__ import annotations

from floe_core.tracing._config import TracingConfig

__all__ = ["TracingConfig"]
