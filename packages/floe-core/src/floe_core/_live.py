"""What a run that is still going says about itself, without anyone following it.

A runtime whose runs execute elsewhere (a Temporal workflow) can answer, from another
process, how far a run got: node counts, the latest node outcomes and log lines, and the
run's live settings (``fail_fast``). ``floe runs show ID`` prints it for a run that is still
going; ``floe runs fail-fast ID on|off`` changes the setting of such a run (ADR 0022).
Bounded by design: a runtime keeps the last few outcomes and lines, not every node.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from floe_core._results import NodeStatus

__all__ = ["LiveNode", "LiveStatus"]


class LiveNode(BaseModel):
    """One node outcome as the run recorded it (message cut to a few hundred characters)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    unique_id: str
    status: NodeStatus
    message: str | None = None
    at: datetime | None = None


class LiveStatus(BaseModel):
    """A run's own account of its progress, readable while it runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    running: bool
    status: str = "running"
    """``running``, or the run's final status once it ended."""
    fail_fast: bool | None = None
    """Whether the run stops scheduling after a failure (None: the runtime cannot say)."""
    total: int | None = None
    """Nodes in the plan (None: not planned yet)."""
    counts: dict[str, int] = Field(default_factory=dict)
    """Nodes by status (:class:`NodeStatus` values, plus ``running`` for those executing)."""
    recent: tuple[LiveNode, ...] = ()
    """The latest node outcomes, oldest first."""
    log: tuple[str, ...] = ()
    """The run's latest log lines, oldest first."""
