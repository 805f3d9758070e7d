"""One Dagster step's dbt build through floe, with floe's node events as Dagster events.

The build runs in a thread; its node events cross to the step's thread on a queue, so each
materialization and check result reaches Dagster when its node finishes, not at the end.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    Failure,
    MaterializeResult,
    MetadataValue,
)
from opentelemetry import context as otel_context

from floe_core import (
    DBTRunResult,
    FloeEvent,
    NodeFinished,
    NodeResult,
    NodeSkipped,
    NodeStatus,
)
from floe_dagster._selection import StepSelection

__all__ = ["DagsterEvent", "StepRun"]

DagsterEvent = MaterializeResult[Any] | AssetCheckResult

_DONE = object()


@dataclass
class _Outcome:
    result: DBTRunResult | None = None
    error: BaseException | None = None
    failed: list[NodeResult] = field(default_factory=list)
    skipped: list[NodeResult] = field(default_factory=list)
    materialized: set[str] = field(default_factory=set)


def _node_metadata(event: NodeFinished) -> dict[str, Any]:
    """What finds the node again in floe: ``floe runs show <invocation id>``."""
    return {"floe/unique_id": event.result.unique_id, "floe/invocation_id": event.invocation_id}


def _materialization(selection: StepSelection, event: NodeFinished) -> MaterializeResult[Any]:
    result = event.result
    metadata: dict[str, Any] = {
        "execution_time": MetadataValue.float(round(result.execution_time, 3)),
        **_node_metadata(event),
    }
    rows = result.adapter_response.rows_affected
    if rows is not None:
        metadata["rows_affected"] = MetadataValue.int(rows)
    if result.adapter_response.message:
        metadata["adapter_message"] = result.adapter_response.message
    if result.status is NodeStatus.WARN and result.message:
        metadata["warning"] = result.message
    return MaterializeResult(asset_key=selection.asset_keys[result.unique_id], metadata=metadata)


def _check_result(selection: StepSelection, event: NodeFinished) -> AssetCheckResult:
    result = event.result
    key = selection.check_keys[result.unique_id]
    metadata = _node_metadata(event)
    if result.failures is not None:
        metadata["failing_rows"] = MetadataValue.int(result.failures)
    if result.message:
        metadata["message"] = result.message
    return AssetCheckResult(
        asset_key=key.asset_key,
        check_name=key.name,
        passed=result.status is NodeStatus.SUCCESS,
        severity=AssetCheckSeverity.WARN
        if result.status is NodeStatus.WARN
        else AssetCheckSeverity.ERROR,
        metadata=metadata,
    )


class StepRun:
    """Run ``build`` (a call of ``Floe.build``) for ``selection`` and translate its events.

    ``build`` receives an event subscriber to pass on to floe; it runs in its own thread, in
    ``trace_context``.
    """

    def __init__(
        self,
        context: AssetExecutionContext,
        selection: StepSelection,
        build: Callable[[Callable[[FloeEvent], None]], DBTRunResult],
        trace_context: otel_context.Context,
    ) -> None:
        self.context = context
        self.selection = selection
        self._build = build
        self._trace_context = trace_context
        self._events: queue.Queue[object] = queue.Queue()
        self.outcome = _Outcome()

    def _run(self) -> None:
        token = otel_context.attach(self._trace_context)
        try:
            self.outcome.result = self._build(self._events.put)
        except BaseException as exc:
            self.outcome.error = exc
        finally:
            otel_context.detach(token)
            self._events.put(_DONE)

    def __iter__(self) -> Iterator[DagsterEvent]:
        thread = threading.Thread(target=self._run, name="floe-dagster-build", daemon=True)
        thread.start()
        while (event := self._events.get()) is not _DONE:
            yield from self._translate(event)  # type: ignore[arg-type]
        thread.join()
        self._raise_if_incomplete()

    def _translate(self, event: FloeEvent) -> Iterator[DagsterEvent]:
        # Node starts are not logged: each Dagster log line is an event-log write, which
        # would add a third of Dagster's per-asset cost for little (floe's own log has them).
        selection, outcome = self.selection, self.outcome
        if not isinstance(event, NodeFinished | NodeSkipped):
            return
        result = event.result
        if isinstance(event, NodeSkipped):
            if result.unique_id in selection.asset_keys:
                outcome.skipped.append(result)
            return
        if result.unique_id in selection.check_keys:
            yield _check_result(selection, event)
        if result.status.is_failure:
            outcome.failed.append(result)
        elif result.unique_id in selection.asset_keys:
            outcome.materialized.add(result.unique_id)
            yield _materialization(selection, event)

    def _raise_if_incomplete(self) -> None:
        outcome = self.outcome
        if outcome.error is not None:
            raise Failure(
                description=f"floe build failed: {outcome.error}",
                metadata={"materialized": MetadataValue.int(len(outcome.materialized))},
            ) from outcome.error
        missing = sorted(set(self.selection.asset_keys) - outcome.materialized)
        if not missing and not outcome.failed:
            return
        lines = [
            f"{r.unique_id} {r.status.value}: {r.message or ''}".strip() for r in outcome.failed
        ]
        lines += [f"{r.unique_id} skipped" for r in outcome.skipped]
        reported = {r.unique_id for r in [*outcome.failed, *outcome.skipped]}
        lines += [f"{uid}: not reported by the runtime" for uid in missing if uid not in reported]
        run = outcome.result
        raise Failure(
            description=f"dbt build: {len(outcome.failed)} failed, {len(missing)} not"
            " materialized\n" + "\n".join(lines),
            metadata={
                "failed": MetadataValue.json([r.unique_id for r in outcome.failed]),
                "not_materialized": MetadataValue.json(missing),
                "floe_invocation_id": run.invocation_id if run else "",
                "dbt_errors": MetadataValue.md(
                    "\n".join(f"- `{r.unique_id}`: {r.message}" for r in outcome.failed)
                ),
            },
        )
