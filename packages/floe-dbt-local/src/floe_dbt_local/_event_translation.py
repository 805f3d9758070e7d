"""dbt's structured events -> floe node events, as they fire.

dbt calls :meth:`DbtEventTranslator.__call__` from its worker threads. For every executed
node dbt fires ``NodeStart`` -> ``LogStartLine`` (index/total) -> ``NodeCompiling`` ->
``NodeExecuting`` -> ``NodeFinished`` (with the run result). A node skipped because an
upstream node failed also gets ``NodeStart``, then ``SkippingDetails`` and a ``NodeFinished``
whose status is ``skipped``, but never ``NodeCompiling``: so floe's ``NodeStarted`` is emitted
on ``NodeCompiling`` and a skipped node yields only ``NodeSkipped``. Ephemeral models are
compiled into their children and are not reported (dbt leaves them out of its results too).

Subclass and override the ``get_*`` methods to change what floe sees (as with dagster-dbt's
translator); set the subclass as ``LocalRuntime.translator_class``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import structlog
from dbt_common.events.base_types import EventMsg
from google.protobuf.json_format import MessageToDict

from floe_core import (
    FloeEvent,
    NodeFinished,
    NodeResult,
    NodeSkipped,
    NodeStarted,
    NodeStatus,
    NodeTiming,
)
from floe_dbt_inprocess import (
    adapter_response,
    as_utc,
    freshness_status,
    node_result_from_run_result,
    node_status,
)

__all__ = ["DbtEventTranslator"]

_log = structlog.get_logger("floe.dbt_local")


class DbtEventTranslator:
    """Translates one invocation's dbt events and run results into floe's vocabulary."""

    def __init__(
        self, invocation_id: str, emit: Callable[[FloeEvent], None], manifest: Any = None
    ) -> None:
        self.invocation_id = invocation_id
        self._emit = emit
        self._manifest = manifest
        """The ``Manifest`` dbt runs; it compiles nodes in place, so ``NodeFinished`` can
        carry the compiled SQL."""
        self._lock = threading.Lock()
        self._positions: dict[str, tuple[int, int]] = {}
        self._started: set[str] = set()
        self._done: set[str] = set()
        self.live_results: dict[str, NodeResult] = {}
        """Results as the events reported them, by unique id (final ones come from dbt)."""
        self._failed_once = False

    # -- dbt callback ----------------------------------------------------------------------
    def __call__(self, msg: EventMsg) -> None:
        """dbt callback: never raises (an exception here would fail the dbt node)."""
        try:
            self.handle(msg)
        except Exception:
            if not self._failed_once:
                self._failed_once = True
                _log.exception("could not translate a dbt event", dbt_event=msg.info.name)

    def handle(self, msg: EventMsg) -> None:
        name = msg.info.name
        if name not in ("LogStartLine", "NodeCompiling", "NodeFinished", "SkippingDetails"):
            return
        data: Any = msg.data  # the protobuf message of this event type
        node_info = data.node_info
        unique_id = node_info.unique_id
        if (
            not unique_id
            or node_info.materialized == "ephemeral"
            or node_info.resource_type == "sql_operation"  # compile/show --inline: no node
        ):
            return
        if name == "LogStartLine":
            with self._lock:
                self._positions[unique_id] = (data.index, data.total)
        elif name == "NodeCompiling":
            self._node_started(unique_id, node_info)
        elif name == "SkippingDetails":
            self._node_done(unique_id, self.get_skipped_result(node_info))
        else:
            run_result = MessageToDict(data.run_result, preserving_proto_field_name=True)
            self._node_done(unique_id, self.get_result_from_event(node_info, run_result))

    def _node_started(self, unique_id: str, node_info: Any) -> None:
        with self._lock:
            if unique_id in self._started:
                return
            self._started.add(unique_id)
            index, total = self._positions.get(unique_id, (None, None))
        self._emit(self.get_node_started(node_info, index, total))

    def _node_done(self, unique_id: str, result: NodeResult) -> None:
        with self._lock:
            if unique_id in self._done:
                return
            self._done.add(unique_id)
            self.live_results[unique_id] = result
        if result.status is NodeStatus.SKIPPED:
            self._emit(NodeSkipped(invocation_id=self.invocation_id, result=result))
        else:
            self._emit(NodeFinished(invocation_id=self.invocation_id, result=result))

    def complete(self, results: Iterable[NodeResult]) -> None:
        """Emit the terminal event of every node dbt reported but no event announced.

        With ``--fail-fast`` dbt cancels the run and marks the remaining nodes skipped in its
        results without firing their events; the stream must still account for each node.
        """
        for result in results:
            with self._lock:
                missing = result.unique_id not in self._done
                started = result.unique_id in self._started
            if not missing:
                continue
            if result.status is not NodeStatus.SKIPPED and not started:
                with self._lock:
                    self._started.add(result.unique_id)
                self._emit(
                    NodeStarted(
                        invocation_id=self.invocation_id,
                        unique_id=result.unique_id,
                        name=result.name,
                        resource_type=result.resource_type,
                        materialization=result.materialization,
                        started_at=result.started_at or datetime.now(UTC),
                    )
                )
            self._node_done(result.unique_id, result)

    # -- overridable mapping -----------------------------------------------------------------
    def get_node_started(self, node_info: Any, index: int | None, total: int | None) -> NodeStarted:
        return NodeStarted(
            invocation_id=self.invocation_id,
            unique_id=node_info.unique_id,
            name=node_info.node_name,
            resource_type=node_info.resource_type,
            materialization=node_info.materialized or None,
            started_at=as_utc(node_info.node_started_at) or datetime.now(UTC),
            index=index or None,
            total=total or None,
        )

    def get_result_from_event(self, node_info: Any, run_result: dict[str, Any]) -> NodeResult:
        """A node result from ``NodeFinished``'s ``node_info`` and ``run_result``."""
        timing = tuple(
            NodeTiming(
                name=phase.get("name", ""),
                started_at=as_utc(phase.get("started_at")),
                completed_at=as_utc(phase.get("completed_at")),
            )
            for phase in run_result.get("timing_info", [])
        )
        dbt_status = run_result.get("status", "")
        status = (
            freshness_status(dbt_status)
            if node_info.resource_type == "source"
            else self.get_status(dbt_status)
        )
        # proto3 drops zeros: a test that ran and found no failing rows has 0 failures
        failures = run_result.get("num_failures")
        ran = status is not NodeStatus.SKIPPED
        if failures is None and ran and node_info.resource_type == "test":
            failures = 0
        return NodeResult(
            unique_id=node_info.unique_id,
            name=node_info.node_name,
            resource_type=node_info.resource_type,
            status=status,
            started_at=as_utc(node_info.node_started_at),
            completed_at=as_utc(node_info.node_finished_at),
            execution_time=float(run_result.get("execution_time", 0.0)),
            message=run_result.get("message") or None,
            adapter_response=adapter_response(run_result.get("adapter_response")),
            failures=None if failures is None else int(failures),
            relation_name=node_info.node_relation.relation_name or None,
            materialization=node_info.materialized or None,
            compiled_code=self.get_compiled_code(node_info.unique_id),
            thread_id=run_result.get("thread") or None,
            timing=timing,
        )

    def get_compiled_code(self, unique_id: str) -> str | None:
        node = self._manifest.nodes.get(unique_id) if self._manifest is not None else None
        code = getattr(node, "compiled_code", None)
        return code if isinstance(code, str) else None

    def get_skipped_result(self, node_info: Any) -> NodeResult:
        return NodeResult(
            unique_id=node_info.unique_id,
            name=node_info.node_name,
            resource_type=node_info.resource_type,
            status=NodeStatus.SKIPPED,
            relation_name=node_info.node_relation.relation_name or None,
            materialization=node_info.materialized or None,
        )

    def get_status(self, dbt_status: str) -> NodeStatus:
        return node_status(dbt_status)

    def get_final_result(self, run_result: Any) -> NodeResult:
        """A node result from dbt's ``RunExecutionResult`` (authoritative), completed with
        what the events said (a skipped node's start time is only known from them)."""
        final = node_result_from_run_result(run_result)
        live = self.live_results.get(final.unique_id)
        if live is None:
            return final
        if final.status is NodeStatus.SKIPPED and live.status is not NodeStatus.SKIPPED:
            # --fail-fast: dbt marks nodes whose result it had not collected yet as skipped,
            # although they ran to the end; the node's own NodeFinished is the truth.
            return live.model_copy(update={"compiled_code": final.compiled_code})
        return final.model_copy(
            update={
                "started_at": final.started_at or live.started_at,
                "completed_at": final.completed_at or live.completed_at,
                "relation_name": final.relation_name or live.relation_name,
            }
        )
