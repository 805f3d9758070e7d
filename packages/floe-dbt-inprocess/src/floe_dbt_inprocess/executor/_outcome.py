"""dbt's result of one node, translated to floe's :class:`NodeResult`, and whether to retry.

A node that fails is a result, not an exception. What a scheduler needs on top is whether
trying again can help: a warehouse that dropped the connection may answer next time; SQL
that does not compile or a failing test never will.
"""

from __future__ import annotations

from typing import Any

from dbt.artifacts.schemas.freshness.v3.freshness import (
    PartialSourceFreshnessResult,
    SourceFreshnessResult,
    process_freshness_result,
)
from dbt_common.exceptions import CompilationError, DbtConfigError, DbtValidationError

from floe_core import NodeResult, NodeStatus
from floe_core.warehouses import is_transient_error
from floe_dbt_inprocess._results import node_result_from_run_result
from floe_dbt_inprocess.executor._execution import FailureKind, NodeExecution

__all__ = ["classify_exception", "to_node_execution"]


def classify_exception(exc: BaseException) -> FailureKind:
    """Transient if any exception in the cause chain is a connection/server error by the
    rules of the warehouse table (:func:`floe_core.warehouses.is_transient_error`)."""
    seen: BaseException | None = exc
    while seen is not None:
        if is_transient_error(seen):
            return FailureKind.TRANSIENT
        seen = seen.__cause__ or seen.__context__
    if isinstance(exc, CompilationError | DbtConfigError | DbtValidationError):
        return FailureKind.PERMANENT
    if type(exc).__module__.split(".")[0] in ("dbt", "dbt_common"):
        return FailureKind.PERMANENT
    # An unknown error below dbt (network stack, driver) is worth another attempt.
    return FailureKind.TRANSIENT


def to_node_execution(run_result: Any, exception: BaseException | None) -> NodeExecution:
    execution = _classified(node_result_from_run_result(run_result), exception)
    if isinstance(run_result, PartialSourceFreshnessResult | SourceFreshnessResult):
        entry = process_freshness_result(run_result).to_dict(omit_none=False)
        return execution.model_copy(update={"freshness": entry})
    return execution


def _classified(result: NodeResult, exception: BaseException | None) -> NodeExecution:
    if result.status is NodeStatus.ERROR:
        kind = classify_exception(exception) if exception is not None else FailureKind.PERMANENT
        error_type = type(exception).__name__ if exception is not None else None
        return NodeExecution(result=result, failure=kind, error_type=error_type)
    if result.status is NodeStatus.FAIL:
        return NodeExecution(result=result, failure=FailureKind.PERMANENT)
    return NodeExecution(result=result)
