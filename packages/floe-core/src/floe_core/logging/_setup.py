"""structlog configuration for the CLI and API users: console or JSON lines on stderr.

Every line carries the context bound with :func:`bind_invocation` (the invocation id) and,
where a line is about one node, the node's unique id. Values under secret-looking keys are
masked before rendering, so a careless ``log.info(..., password=...)`` cannot leak one.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

from floe_core.logging._choices import LOG_FORMATS, LOG_LEVELS, LogFormat
from floe_core.logging._deferred import apply_pending_configuration

__all__ = [
    "LOG_FORMATS",
    "LOG_LEVELS",
    "LogFormat",
    "bind_invocation",
    "bind_node",
    "configure_logging",
    "redact_secrets",
]


_SECRET_KEY_PARTS = ("password", "passwd", "secret", "token", "api_key", "private_key", "auth")
_MASK = "***"


def redact_secrets(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Mask the value of every key that names a secret (``password``, ``api_token``...)."""
    for key in event_dict:
        if any(part in key.lower() for part in _SECRET_KEY_PARTS):
            event_dict[key] = _MASK
    return event_dict


class _StderrLogger:
    """Writes each rendered line to the *current* ``sys.stderr``.

    Looking the stream up per line (rather than binding it at configuration time) keeps
    logging working when stderr is swapped, e.g. by click's test runner.
    """

    def msg(self, message: str) -> None:
        stream = sys.stderr
        stream.write(message + "\n")
        stream.flush()

    debug = info = warning = warn = error = critical = exception = fatal = log = msg


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The standard library's counterpart of :class:`_StderrLogger`."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def _stderr_logger_factory(*_args: Any) -> _StderrLogger:
    return _StderrLogger()


def _shared_processors() -> list[Processor]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact_secrets,
    ]


def _renderer(log_format: LogFormat) -> Processor:
    if log_format == "json":
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())


def configure_logging(log_format: LogFormat = "console", level: str = "info") -> None:
    """Send floe's structlog output and the standard library's logging to stderr.

    ``level`` is one of :data:`LOG_LEVELS`; third-party libraries that log through the
    standard library (OpenLineage, OpenTelemetry) get the same format and level.
    """
    numeric_level = logging.getLevelNamesMapping()[level.upper()]
    structlog.configure(
        processors=[
            *_shared_processors(),
            structlog.processors.format_exc_info
            if log_format == "json"
            else structlog.dev.set_exc_info,
            _renderer(log_format),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=_stderr_logger_factory,
        cache_logger_on_first_use=False,
    )
    handler = _StderrHandler()
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *_shared_processors()],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                _renderer(log_format),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(numeric_level)


@contextmanager
def bind_invocation(invocation_id: str, **context: Any) -> Iterator[None]:
    """Bind ``invocation_id`` (and ``context``) to every log line of this block."""
    with structlog.contextvars.bound_contextvars(invocation_id=invocation_id, **context):
        yield


@contextmanager
def bind_node(unique_id: str) -> Iterator[None]:
    """Bind the node a block works on (runtimes call this in their worker threads)."""
    with structlog.contextvars.bound_contextvars(node=unique_id):
        yield


apply_pending_configuration()  # when this module was the first to import structlog
