"""dbt statuses and adapter responses in floe's vocabulary."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from floe_core import NodeStatus
from floe_dbt_inprocess._results import adapter_response, as_utc, node_status


@pytest.mark.parametrize(
    ("dbt_status", "expected"),
    [
        ("success", NodeStatus.SUCCESS),
        ("pass", NodeStatus.SUCCESS),
        ("no-op", NodeStatus.SUCCESS),
        ("error", NodeStatus.ERROR),
        ("runtime error", NodeStatus.ERROR),
        ("partial success", NodeStatus.ERROR),
        ("fail", NodeStatus.FAIL),
        ("warn", NodeStatus.WARN),
        ("skipped", NodeStatus.SKIPPED),
        ("something new", NodeStatus.ERROR),
    ],
)
def test_status_mapping(dbt_status: str, expected: NodeStatus) -> None:
    assert node_status(dbt_status) is expected


def test_adapter_response_keeps_known_fields_and_the_rest_as_extra() -> None:
    response = adapter_response(
        {"_message": "INSERT 0 60", "code": "INSERT", "rows_affected": 60.0, "bytes": 10}
    )
    assert (response.message, response.code, response.rows_affected) == (
        "INSERT 0 60",
        "INSERT",
        60,
    )
    assert response.extra == {"bytes": 10}
    assert adapter_response(None).rows_affected is None


def test_naive_dbt_timestamps_are_utc() -> None:
    assert as_utc("2026-01-02T03:04:05.5Z") == datetime(2026, 1, 2, 3, 4, 5, 500000, tzinfo=UTC)
    assert as_utc(datetime(2026, 1, 2)) == datetime(2026, 1, 2, tzinfo=UTC)
    assert as_utc(None) is None
    assert as_utc("") is None


def test_a_driver_that_does_not_know_the_row_count_reports_none() -> None:
    # psycopg2 answers -1 for statements without a row count (DDL)
    assert adapter_response({"_message": "CREATE VIEW", "rows_affected": -1}).rows_affected is None
    assert adapter_response({"rows_affected": 3.0}).rows_affected == 3
