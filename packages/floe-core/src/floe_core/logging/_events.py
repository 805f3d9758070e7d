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

    Run starts/ends and node outcomes are logged at ``level``; failures are raised to
    ``warning`` unless ``level`` is ``debug``, which the CLI uses while its own progress
    display shows the same facts to a human.
    """

    def __init__(self, level: int = logging.INFO) -> None:
        self._level = level
        self._failure_level = logging.WARNING if level >= logging.INFO else level

    def __call__(self, event: FloeEvent) -> None:
        context = {"invocation_id": event.invocation_id}
        if isinstance(event, RunStarted):
            _log_event(
                self._level,
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
                self._failure_level if result.status.is_failure else self._level,
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
                self._level if run.success else self._failure_level,
                "run finished",
                **context,
                status=run.status.value,
                elapsed_seconds=round(run.elapsed_seconds, 3),
                error=run.error,
                **{f"nodes_{status.value}": n for status, n in run.counts().items() if n},
            )
