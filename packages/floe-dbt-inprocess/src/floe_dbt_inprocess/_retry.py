"""dbt retry's selection: which nodes of a previous run's run_results.json it re-runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["RETRYABLE_STATUSES", "retryable_node_ids"]

RETRYABLE_STATUSES = frozenset({"error", "fail", "skipped", "runtime error"})
"""dbt retry's statuses to re-run (``dbt.task.retry.RETRYABLE_STATUSES``)."""


def retryable_node_ids(run_results: Mapping[str, Any]) -> tuple[str, ...]:
    """The unique ids, sorted, of the nodes in ``run_results`` (a parsed run_results.json)
    that dbt retry re-runs."""
    return tuple(
        sorted(
            str(result["unique_id"])
            for result in run_results.get("results", [])
            if result.get("status") in RETRYABLE_STATUSES
        )
    )
