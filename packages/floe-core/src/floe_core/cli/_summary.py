"""The end-of-run summary: table, failures, counts."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from floe_core._results import DBTRunResult, NodeResult, NodeStatus
from floe_core.cli._console import NOTHING_SELECTED_MESSAGE
from floe_core.cli._progress import STATUS_STYLES

__all__ = ["NOTHING_SELECTED", "print_summary", "print_totals"]

MAX_TABLE_ROWS = 50
"""Above this many nodes the table keeps only the nodes that did not succeed."""

NOTHING_SELECTED = Text(NOTHING_SELECTED_MESSAGE, style="yellow")

_COUNT_LABELS = {
    NodeStatus.SUCCESS: "PASS",
    NodeStatus.WARN: "WARN",
    NodeStatus.ERROR: "ERROR",
    NodeStatus.FAIL: "FAIL",
    NodeStatus.SKIPPED: "SKIP",
}


def _rows(node: NodeResult) -> str:
    rows = node.adapter_response.rows_affected
    return "" if rows is None or rows < 0 else str(rows)


def _table(nodes: tuple[NodeResult, ...]) -> Table:
    table = Table(show_edge=False, pad_edge=False)
    table.add_column("node", overflow="ellipsis", no_wrap=True, max_width=48)
    table.add_column("type")
    table.add_column("status")
    table.add_column("time", justify="right")
    table.add_column("rows", justify="right")
    table.add_column("message", overflow="fold")
    for node in nodes:
        table.add_row(
            node.name,
            node.resource_type,
            Text(node.status.value, style=STATUS_STYLES[node.status]),
            f"{node.execution_time:.2f}s",
            _rows(node),
            node.message or "",
        )
    return table


def print_summary(console: Console, result: DBTRunResult, results_dir: str | None) -> None:
    """Table of nodes, every failure with its full message, a counts line, the run status."""
    nodes = result.nodes
    if len(nodes) > MAX_TABLE_ROWS:
        shown = tuple(node for node in nodes if node.status is not NodeStatus.SUCCESS)
        console.print(f"\n{len(nodes) - len(shown)} successful nodes not listed (see result.json)")
    else:
        shown = nodes
    if shown:
        console.print()
        console.print(_table(shown))
    elif not nodes and result.error is None:
        console.print(NOTHING_SELECTED)
    failures = [node for node in nodes if node.status.is_failure]
    for node in failures:
        console.print(
            Text(f"\n{node.status.value.upper()} in {node.resource_type} {node.name}", style="red")
            + Text(f" ({node.unique_id})")
        )
        if node.message:
            console.print(f"  {node.message}", markup=False)
    print_totals(console, result, results_dir)


def print_totals(console: Console, result: DBTRunResult, results_dir: str | None) -> None:
    """``Done. PASS=.. TOTAL=..``, the run's error if any, its status and results folder."""
    counts = result.counts()
    tally = " ".join(f"{label}={counts[status]}" for status, label in _COUNT_LABELS.items())
    console.print(f"\nDone. {tally} TOTAL={len(result.nodes)} in {result.elapsed_seconds:.2f}s")
    if result.error:
        console.print(Text(f"run {result.status.value}: {result.error}", style="red"))
    status_style = "green" if result.success else "red"
    console.print(Text(f"{result.command.value} {result.status.value}", style=status_style))
    if results_dir is not None:
        console.print(f"results: {results_dir}", markup=False)
