"""Structured logging (structlog): readable console lines or JSON lines, always on stderr."""

from __future__ import annotations

from typing import TYPE_CHECKING

from floe_core._lazy import lazy_getattr
from floe_core.logging._choices import LOG_FORMATS, LOG_LEVELS, LogFormat
from floe_core.logging._deferred import configure_logging_when_used

if TYPE_CHECKING:
    from floe_core.logging._events import EventLogger
    from floe_core.logging._setup import (
        bind_invocation,
        bind_node,
        configure_logging,
        redact_secrets,
    )

# structlog costs ~0.1-0.2 s of imports: loaded when logging is configured or used.
_LAZY = {
    "EventLogger": "floe_core.logging._events",
    "bind_invocation": "floe_core.logging._setup",
    "bind_node": "floe_core.logging._setup",
    "configure_logging": "floe_core.logging._setup",
    "redact_secrets": "floe_core.logging._setup",
}

__all__ = [
    "LOG_FORMATS",
    "LOG_LEVELS",
    "EventLogger",
    "LogFormat",
    "bind_invocation",
    "bind_node",
    "configure_logging",
    "configure_logging_when_used",
    "redact_secrets",
]


__getattr__ = lazy_getattr(__name__, _LAZY)
