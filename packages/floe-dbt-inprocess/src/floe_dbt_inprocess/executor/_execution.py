"""One node's execution as a result (dbt-free: it crosses process boundaries as JSON)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from floe_core import NodeResult

__all__ = ["FailureKind", "NodeExecution"]


class FailureKind(StrEnum):
    """Why a node did not succeed, as far as retrying is concerned."""

    PERMANENT = "permanent"
    """Compilation, configuration, a failing test or a statement the warehouse rejects."""
    TRANSIENT = "transient"
    """The warehouse or the connection failed; the same node may succeed on a new attempt."""


class NodeExecution(BaseModel):
    """The result of executing one node, and (if it errored) whether a retry may help."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    result: NodeResult
    failure: FailureKind | None = None
    error_type: str | None = None
    freshness: dict[str, Any] | None = None
    """``source freshness``: the source's entry of dbt's sources.json."""

    @property
    def retryable(self) -> bool:
        return self.failure is FailureKind.TRANSIENT
