"""Dependency-driven scheduling of a node DAG with ``dbt build`` failure semantics.

Pure and deterministic (it runs inside the workflow). A node is ready the moment all of its
parents succeeded (no level barriers). A node that errors or fails skips every descendant
(tests sit between a model and its children, so a failing test skips them as in
``dbt build``); independent branches go on. With ``fail_fast`` the first failure stops
scheduling and every node not started yet is skipped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from floe_core import NodeStatus, RunStatus

__all__ = ["DagScheduler"]

_STOPPED = "fail-fast: stopped after a failure"


class DagScheduler:
    """``parents[i]`` are the indices of node ``i``'s parents; ids keep the plan's order."""

    def __init__(
        self, unique_ids: Sequence[str], parents: Sequence[Sequence[int]], *, fail_fast: bool
    ) -> None:
        self.unique_ids = tuple(unique_ids)
        self._index = {uid: i for i, uid in enumerate(self.unique_ids)}
        self._fail_fast = fail_fast
        self._waiting = [len(set(p)) for p in parents]
        self._children: list[list[int]] = [[] for _ in self.unique_ids]
        for child, node_parents in enumerate(parents):
            for parent in set(node_parents):
                self._children[parent].append(child)
        self._ready: deque[int] = deque(i for i, n in enumerate(self._waiting) if n == 0)
        self.status: dict[str, NodeStatus] = {}
        self._started: set[int] = set()
        self.stopped = False
        self.skip_reasons: dict[str, str] = {}

    @property
    def finished(self) -> bool:
        return len(self.status) == len(self.unique_ids)

    @property
    def run_status(self) -> RunStatus:
        failed = any(status.is_failure for status in self.status.values())
        return RunStatus.FAILED if failed else RunStatus.SUCCESS

    def restore(self, unique_id: str, status: NodeStatus) -> list[str]:
        """Replay an outcome recorded before a continue-as-new."""
        self._started.add(self._index[unique_id])
        return self.complete(unique_id, status)

    def take_ready(self, limit: int) -> list[str]:
        """Up to ``limit`` ready nodes, marked started."""
        taken: list[str] = []
        while self._ready and len(taken) < limit and not self.stopped:
            index = self._ready.popleft()
            if self.unique_ids[index] in self.status:
                continue
            self._started.add(index)
            taken.append(self.unique_ids[index])
        return taken

    def complete(self, unique_id: str, status: NodeStatus) -> list[str]:
        """Record a node's outcome; returns the ids it caused to be skipped."""
        index = self._index[unique_id]
        self.status[unique_id] = status
        if status.is_failure or status is NodeStatus.SKIPPED:
            skipped = self._skip_descendants(index, f"an upstream node ({unique_id}) {status}")
            if self._fail_fast and status.is_failure and not self.stopped:
                skipped += self.stop(_STOPPED)
            return skipped
        for child in self._children[index]:
            self._waiting[child] -= 1
            if self._waiting[child] == 0:
                self._ready.append(child)
        return []

    def _skip_descendants(self, index: int, reason: str) -> list[str]:
        skipped: list[str] = []
        queue = deque(self._children[index])
        while queue:
            child = queue.popleft()
            uid = self.unique_ids[child]
            if uid in self.status or child in self._started:
                continue
            self.status[uid] = NodeStatus.SKIPPED
            self.skip_reasons[uid] = reason
            skipped.append(uid)
            queue.extend(self._children[child])
        return skipped

    def set_fail_fast(self, enabled: bool) -> list[str]:
        """Change fail-fast while the run goes on; turned on after a failure, it stops the
        run at once (the ids skipped)."""
        self._fail_fast = enabled
        if enabled and not self.stopped and any(s.is_failure for s in self.status.values()):
            return self.stop(_STOPPED)
        return []

    def stop(self, reason: str) -> list[str]:
        """Schedule nothing more; nodes not started are skipped (running ones finish)."""
        self.stopped = True
        skipped = []
        for index, uid in enumerate(self.unique_ids):
            if uid not in self.status and index not in self._started:
                self.status[uid] = NodeStatus.SKIPPED
                self.skip_reasons[uid] = reason
                skipped.append(uid)
        return skipped
