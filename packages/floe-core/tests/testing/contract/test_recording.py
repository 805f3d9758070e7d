"""The contract suite's stream check must reject each way a runtime can break the order."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from floe_core import (
    DBTCommand,
    DBTRunResult,
    FloeEvent,
    NodeFinished,
    NodeResult,
    NodeSkipped,
    NodeStarted,
    NodeStatus,
    RunFinished,
    RunPlanned,
    RunStarted,
    RunStatus,
)
from floe_core.testing.contract import ContractProject, RecordedRun, assert_event_stream

NOW = datetime(2026, 1, 1, tzinfo=UTC)
INVOCATION = ContractProject(Path("/p"), Path("/w.duckdb")).invocation(invocation_id="inv")
ERRORED = NodeResult(
    unique_id="model.p.a", name="a", resource_type="model", status=NodeStatus.ERROR
)
SKIPPED = NodeResult(
    unique_id="model.p.b", name="b", resource_type="model", status=NodeStatus.SKIPPED
)
RESULT = DBTRunResult(
    invocation_id="inv",
    command=DBTCommand.BUILD,
    runtime="fake",
    status=RunStatus.FAILED,
    started_at=NOW,
    completed_at=NOW,
    elapsed_seconds=0.0,
    nodes=(ERRORED, SKIPPED),
)


def _stream() -> list[FloeEvent]:
    return [
        RunStarted(
            invocation_id="inv",
            command=DBTCommand.BUILD,
            runtime="fake",
            project_name="p",
            project_dir=Path("/p"),
            started_at=NOW,
        ),
        RunPlanned(invocation_id="inv", node_ids=("model.p.a", "model.p.b")),
        NodeStarted(
            invocation_id="inv",
            unique_id="model.p.a",
            name="a",
            resource_type="model",
            started_at=NOW,
        ),
        NodeFinished(invocation_id="inv", result=ERRORED),
        NodeSkipped(invocation_id="inv", result=SKIPPED),
        RunFinished(invocation_id="inv", result=RESULT),
    ]


def _check(events: list[FloeEvent]) -> None:
    assert_event_stream(RecordedRun(DBTCommand.BUILD, INVOCATION, RESULT, tuple(events)), "fake")


def test_a_well_ordered_stream_passes() -> None:
    _check(_stream())


def _swap(first: int, second: int) -> Callable[[list[FloeEvent]], None]:
    def mutate(events: list[FloeEvent]) -> None:
        events[first], events[second] = events[second], events[first]

    return mutate


def _replace(index: int, event: FloeEvent) -> Callable[[list[FloeEvent]], None]:
    def mutate(events: list[FloeEvent]) -> None:
        events[index] = event

    return mutate


@pytest.mark.parametrize(
    ("mutate", "complaint"),
    [
        (_swap(1, 2), "run_planned must precede node events"),
        (lambda events: events.pop(2), "finished without node_started"),
        (_replace(4, NodeFinished(invocation_id="inv", result=SKIPPED)), "iff skipped"),
        (lambda events: events.pop(4), "differ from result nodes"),
        (
            _replace(
                3,
                NodeFinished(
                    invocation_id="inv",
                    result=ERRORED.model_copy(update={"status": NodeStatus.SUCCESS}),
                ),
            ),
            "event status success but result status error",
        ),
        (lambda events: events.insert(4, events[3]), "finished twice"),
        (_replace(1, RunPlanned(invocation_id="other")), "events of another invocation"),
        (lambda events: events.pop(), "last event must be run_finished"),
    ],
    ids=[
        "planned-late",
        "no-start",
        "skip-as-finish",
        "missing-node",
        "status-mismatch",
        "twice",
        "foreign-invocation",
        "no-run-finished",
    ],
)
def test_a_broken_stream_is_rejected_with_the_reason(
    mutate: Callable[[list[FloeEvent]], object], complaint: str
) -> None:
    events = _stream()
    mutate(events)
    with pytest.raises(AssertionError, match=complaint):
        _check(events)
