"""The parts of a model page built from the graph, the recent runs and column lineage."""

from __future__ import annotations

from collections.abc import Mapping

from floe_core._results import NodeResult
from floe_core.ui._graph import DbtGraph
from floe_core.ui._models import (
    ColumnRef,
    ModelColumn,
    ModelSummary,
    ModelTest,
    RunSummary,
    TestOutcome,
)

__all__ = ["model_summary", "model_test", "with_origins"]


def model_summary(
    unique_id: str, graph: DbtGraph, last: Mapping[str, tuple[str, NodeResult]]
) -> ModelSummary:
    node = graph.nodes[unique_id]
    newest = last.get(unique_id)
    return ModelSummary(
        unique_id=unique_id,
        name=node.name,
        resource_type=node.resource_type,
        description=node.description,
        materialization=node.materialization,
        path=node.path,
        tags=list(node.tags),
        last_status=newest[1].status.value if newest else None,
        last_run=newest[0] if newest else None,
    )


def with_origins(
    columns: list[ModelColumn], origins: Mapping[str, list[ColumnRef]]
) -> list[ModelColumn]:
    """``columns`` with the upstream columns each comes from, then the columns only the
    compiled SQL names (undocumented, no catalog yet)."""
    named = {column.name.lower() for column in columns}
    return [
        column.model_copy(update={"upstream": origins.get(column.name.lower(), [])})
        for column in columns
    ] + [
        ModelColumn(name=name, upstream=refs) for name, refs in origins.items() if name not in named
    ]


def model_test(
    unique_id: str, name: str, recent: list[tuple[RunSummary, dict[str, NodeResult]]]
) -> ModelTest:
    history = [
        TestOutcome(
            invocation_id=run.invocation_id,
            started_at=run.started_at,
            status=results[unique_id].status.value,
            message=results[unique_id].message,
        )
        for run, results in reversed(recent)
        if unique_id in results
    ]
    return ModelTest(
        unique_id=unique_id,
        name=name,
        status=history[0].status if history else None,
        history=history,
    )
