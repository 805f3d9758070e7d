from __future__ import annotations

from datetime import UTC, datetime

from floe_core import NodeResult, NodeStatus
from floe_dbt_temporal._live import LOG_LINES, RECENT, LiveTracker


def test_the_memo_stays_small_whatever_the_number_of_nodes() -> None:
    tracker = LiveTracker(fail_fast=False)
    tracker.total = 5000
    at = datetime(2026, 1, 1, tzinfo=UTC)
    for index in range(5000):
        uid = f"model.big.m{index}"
        tracker.started(uid)
        status = NodeStatus.ERROR if index % 3 == 0 else NodeStatus.SUCCESS
        message = "Database Error\n  " + "x" * 5000  # dbt's multi-line messages, long
        result = NodeResult(
            unique_id=uid, name=f"m{index}", resource_type="model", status=status, message=message
        )
        tracker.finished(result, at, was_running=True)
    status = tracker.status()

    assert status.counts == {"error": 1667, "success": 3333}  # nothing running any more
    assert len(status.recent) == RECENT
    assert status.recent[-1].unique_id == "model.big.m4999"
    assert len(status.log) == LOG_LINES
    assert all("\n" not in line for line in status.log)
    assert len(status.model_dump_json()) < 10_000  # Temporal's memo limit is 32 KiB
