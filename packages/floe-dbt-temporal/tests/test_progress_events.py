"""The workflow keeps its node events packed: a ``progress`` page answers the same events."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio.contrib.pydantic import pydantic_data_converter

from floe_core import NodeResult, NodeStatus
from floe_dbt_temporal._models import ProgressEvent, ProgressPage
from floe_dbt_temporal._workflow import packed, unpacked

_AT = datetime(2026, 12, 6, 22, 0, 1, 123456, tzinfo=UTC)
# as a node activity's result arrives: decoded from its JSON payload
_RESULT = NodeResult.model_validate_json(
    """{"unique_id": "model.shop.orders", "name": "orders", "resource_type": "model",
    "status": "success", "started_at": "2026-12-06T22:00:00.5+00:00",
    "completed_at": "2026-12-06T22:00:01Z", "execution_time": 0.1234567891,
    "message": "SELECT 3", "adapter_response": {"message": "SELECT 3", "code": "SELECT",
    "rows_affected": 3, "extra": {"notices": [1, 2.5, null]}},
    "relation_name": "\\"db\\".\\"main\\".\\"orders\\"", "materialization": "table",
    "compiled_code": "select 'é' as x\\nfrom raw", "thread_id": "Thread-1",
    "timing": [{"name": "compile", "started_at": "2026-12-06T22:00:00.5Z",
    "completed_at": "2026-12-06T22:00:00.6Z"}]}"""
)


def _events() -> tuple[ProgressEvent, ...]:
    skipped = NodeResult(
        unique_id="model.shop.report",
        name="report",
        resource_type="model",
        status=NodeStatus.SKIPPED,
        message="skipped: a parent failed",
    )
    return (
        ProgressEvent(kind="started", unique_id="model.shop.orders", at=_AT),
        ProgressEvent(kind="finished", unique_id="model.shop.orders", at=_AT, result=_RESULT),
        ProgressEvent(kind="skipped", unique_id="model.shop.report", at=_AT, result=skipped),
    )


def test_a_page_of_packed_events_is_the_page_of_the_events() -> None:
    events = _events()
    stored = [packed(event) for event in events]
    assert all(isinstance(data, bytes) for data in stored)
    again = tuple(unpacked(data) for data in stored)
    assert again == events

    def payload(page_events: tuple[ProgressEvent, ...]) -> bytes:
        page = ProgressPage(events=page_events, next_cursor=len(page_events))
        return pydantic_data_converter.payload_converter.to_payloads([page])[0].data

    assert payload(again) == payload(events)


def test_packed_events_are_smaller_than_the_models() -> None:
    import tracemalloc

    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        models = [
            ProgressEvent.model_validate_json(event.model_dump_json())
            for _ in range(200)
            for event in _events()
        ]
        as_models = tracemalloc.get_traced_memory()[0] - before
        stored = [packed(event) for event in models]
        del models
        as_packed = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert len(stored) == 600
    assert as_packed < as_models / 2
