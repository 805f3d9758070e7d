"""Structured logging (structlog): readable console lines or JSON lines, always on stderr."""

from __future__ import annotations

from floe_core.logging._events import EventLogger
from floe_core.logging._setup import (
    LOG_FORMATS,
    LOG_LEVELS,
    LogFormat,
    bind_invocation,
    bind_node,
    configure_logging,
    redact_secrets,
)

__all__ = [
    "LOG_FORMATS",
    "LOG_LEVELS",
    "EventLogger",
    "LogFormat",
    "bind_invocation",
    "bind_node",
    "configure_logging",
    "redact_secrets",
]
