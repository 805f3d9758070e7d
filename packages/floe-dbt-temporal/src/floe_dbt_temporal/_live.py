"""The run's live account of itself: the ``floe`` memo, bounded whatever the DAG's size.

The workflow keeps node counts, the last :data:`RECENT` node outcomes and the last
:data:`LOG_LINES` log lines, and writes them to its memo (``upsert_memo``) when the first
nodes start, after each node outcome (with the nodes it let start) and at the end: never once
per workflow task, whose batching of events a replay may not reproduce (ADR 0022).
Anyone with the workflow id reads it without a worker (``floe runs show``, ``temporal
workflow describe``, the Temporal UI). Messages are cut to :data:`MESSAGE_CHARS`: the memo
stays under ~8 KiB, far below Temporal's memo limit (32 KiB by default); each write adds one
event to the history, next to the node's three.
"""

from __future__ import annotations

from collections import Counter, deque
from datetime import datetime

from floe_core import LiveNode, LiveStatus, NodeResult, NodeStatus

__all__ = ["LOG_LINES", "MEMO_KEY", "RECENT", "LiveTracker"]

MEMO_KEY = "floe"
RECENT = 10
LOG_LINES = 20
MESSAGE_CHARS = 200


def _cut(text: str | None) -> str | None:
    """One line (dbt's messages span several) of at most MESSAGE_CHARS."""
    if text is None:
        return None
    line = " ".join(text.split())
    return line if len(line) <= MESSAGE_CHARS else line[: MESSAGE_CHARS - 1] + "…"


class LiveTracker:
    """Counts and the latest outcomes of one run (deterministic: it runs in the workflow)."""

    def __init__(self, *, fail_fast: bool) -> None:
        self.fail_fast = fail_fast
        self.total: int | None = None
        self.running = 0
        self.counts: Counter[str] = Counter()
        self.recent: deque[LiveNode] = deque(maxlen=RECENT)
        self.log: deque[str] = deque(maxlen=LOG_LINES)
        self.changed = True
        """Something changed since the memo was last written."""

    def started(self, unique_id: str) -> None:
        self.running += 1
        self.changed = True

    def finished(self, result: NodeResult, at: datetime, *, was_running: bool) -> None:
        self.running -= was_running
        self.counts[result.status.value] += 1
        self.recent.append(
            LiveNode(
                unique_id=result.unique_id,
                status=result.status,
                message=_cut(result.message),
                at=at,
            )
        )
        if result.status is not NodeStatus.SKIPPED:
            took = f" in {result.execution_time:.1f}s" if result.execution_time else ""
            message = f": {_cut(result.message)}" if result.message else ""
            self.log.append(
                f"{at:%H:%M:%S} {result.status.value.upper()} {result.unique_id}{took}{message}"
            )
        self.changed = True

    def note(self, line: str, at: datetime) -> None:
        """A log line that is not a node outcome (fail-fast changed, a hook failed)."""
        self.log.append(f"{at:%H:%M:%S} {_cut(line)}")
        self.changed = True

    def status(self, state: str = "running") -> LiveStatus:
        counts = {status: n for status, n in self.counts.items() if n}
        if self.running:
            counts["running"] = self.running
        return LiveStatus(
            running=state == "running",
            status=state,
            fail_fast=self.fail_fast,
            total=self.total,
            counts=counts,
            recent=tuple(self.recent),
            log=tuple(self.log),
        )
