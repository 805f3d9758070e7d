from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from rich.console import Console

from floe_core import (
    NodeFinished,
    NodeResult,
    NodeSkipped,
    NodeStarted,
    NodeStatus,
    RunPlanned,
)
from floe_core.cli._progress import ProgressDisplay, node_line


def _node(status: NodeStatus, resource_type: str = "model", **fields: object) -> NodeResult:
    return NodeResult(
        unique_id=f"{resource_type}.shop.orders",
        name="orders",
        resource_type=resource_type,
        status=status,
        execution_time=0.123,
        **fields,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("result", "expected_start", "expected_end"),
    [
        (
            _node(
                NodeStatus.SUCCESS, materialization="table", relation_name='"db"."main"."orders"'
            ),
            "1 of 12 OK sql table model main.orders ",
            " [OK in 0.12s]",
        ),
        (
            _node(NodeStatus.SUCCESS, "seed", message="INSERT 60"),
            "1 of 12 OK seed file orders ",
            " [INSERT 60 in 0.12s]",
        ),
        (_node(NodeStatus.SUCCESS, "test"), "1 of 12 PASS test orders ", " [PASS in 0.12s]"),
        (
            _node(NodeStatus.FAIL, "test", message="Got 3 results"),
            "1 of 12 FAIL test",
            "[FAIL in 0.12s]",
        ),
        (_node(NodeStatus.ERROR), "1 of 12 ERROR model orders ", " [ERROR in 0.12s]"),
        (_node(NodeStatus.SKIPPED), "1 of 12 SKIP model orders ", " [SKIP]"),
    ],
)
def test_node_lines_read_like_dbt(
    result: NodeResult, expected_start: str, expected_end: str
) -> None:
    line = node_line(1, 12, result).plain
    assert line.startswith(expected_start)
    assert line.endswith(expected_end)
    assert "..." in line


def test_the_live_display_counts_finished_and_skipped_nodes_against_the_plan() -> None:
    output = io.StringIO()
    console = Console(file=output, force_terminal=True, width=100)
    with ProgressDisplay(console, live=True) as display:
        display(RunPlanned(invocation_id="i", node_ids=("a", "b")))
        display(NodeFinished(invocation_id="i", result=_node(NodeStatus.SUCCESS)))
        display(NodeSkipped(invocation_id="i", result=_node(NodeStatus.SKIPPED)))
    text = output.getvalue()
    assert "1 of 2" in text
    assert "2 of 2" in text


def test_a_finished_line_keeps_the_number_of_its_start_line() -> None:
    # dbt prints "7 of 9 START ..." and later "7 of 9 OK ..." for the same node, whatever
    # order nodes finish in.
    output = io.StringIO()
    console = Console(file=output, force_terminal=False, width=100)
    display = ProgressDisplay(console, live=False)
    display(RunPlanned(invocation_id="i", node_ids=("a", "model.shop.orders")))
    display(
        NodeStarted(
            invocation_id="i",
            unique_id="model.shop.orders",
            name="orders",
            resource_type="model",
            started_at=datetime.now(UTC),
            index=2,
            total=2,
        )
    )
    display(NodeFinished(invocation_id="i", result=_node(NodeStatus.SUCCESS)))
    assert output.getvalue().startswith("2 of 2 OK model orders ")
