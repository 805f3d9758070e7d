"""Log lines from the event stream: one per run start/finish and one per node outcome."""

from __future__ import annotations

import logging
from typing import Any

import structlog

from floe_core._events import (
    FloeEvent,
    NodeFinished,
    NodeSkipped,
    NodeStarted,
    RunFinished,
    RunPlanned,
    RunStarted,
)

__all__ = ["EventLogger"]

_log = structlog.get_logger("floe.run")


def _log_event(level: int, text: str, /, **fields: Any) -> None:
    _log.log(level, text, **{key: value for key, value in fields.items() if value is not None})


class EventLogger:
    """An event subscriber that logs the stream.

    ``node_level`` is the level of per-node lines: ``debug`` when a human watches the CLI's
    own progress display, ``info`` when the logs are the record (JSON lines in CI).
    """

    def __init__(self, node_level: int = logging.DEBUG) -> None:
        self._node_level = node_level

    def __call__(self, event: FloeEvent) -> None:
        context = {"invocation_id": event.invocation_id}
        if isinstance(event, RunStarted):
            _log_event(
                logging.INFO,
                "run started",
                **context,
                command=event.command.value,
                runtime=event.runtime,
                project=event.project_name,
                target=event.target,
            )
        elif isinstance(event, RunPlanned):
            _log_event(logging.DEBUG, "run planned", **context, nodes=len(event.node_ids))
        elif isinstance(event, NodeStarted):
            _log_event(logging.DEBUG, "node started", **context, node=event.unique_id)
        elif isinstance(event, NodeFinished | NodeSkipped):
            result = event.result
            _log_event(
                logging.WARNING if result.status.is_failure else self._node_level,
                "node finished" if isinstance(event, NodeFinished) else "node skipped",
                **context,
                node=result.unique_id,
                status=result.status.value,
                execution_time=round(result.execution_time, 3),
                message=result.message,
            )
        elif isinstance(event, RunFinished):
            run = event.result
            _log_event(
                logging.INFO if run.success else logging.WARNING,
                "run finished",
                **context,
                status=run.status.value,
                elapsed_seconds=round(run.elapsed_seconds, 3),
                error=run.error,
                **{f"nodes_{status.value}": n for status, n in run.counts().items() if n},
            )
