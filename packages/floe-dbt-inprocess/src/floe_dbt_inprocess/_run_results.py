"""dbt's ``run_results.json`` from floe node results, for runs dbt's own task did not drive.

A run whose nodes executed one by one on warm executors (the local runtime's executor
processes) has no dbt ``RunExecutionResult`` to write; this writes the same document from the
:class:`~floe_core.NodeResult` of every node, so ``dbt retry``, state selection and every
tool that reads run_results.json see the run as if dbt had written it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from floe_core import DBTCommand, NodeResult, NodeStatus

__all__ = ["dbt_status", "run_results_document", "write_run_results"]

RUN_RESULTS_SCHEMA = "https://schemas.getdbt.com/dbt/run-results/v6.json"


def dbt_status(result: NodeResult) -> str:
    """dbt's status word: a test that succeeded ``pass``es."""
    if result.status is NodeStatus.SUCCESS and result.resource_type in ("test", "unit_test"):
        return "pass"
    return result.status.value


def _entry(result: NodeResult) -> dict[str, Any]:
    response = result.adapter_response
    adapter_response = {
        "_message": response.message,
        "code": response.code,
        "rows_affected": response.rows_affected,
        "query_id": response.query_id,
        **response.extra,
    }
    return {
        "unique_id": result.unique_id,
        "status": dbt_status(result),
        "timing": [timing.model_dump(mode="json") for timing in result.timing],
        "thread_id": result.thread_id,
        "execution_time": result.execution_time,
        "adapter_response": {k: v for k, v in adapter_response.items() if v is not None},
        "message": result.message,
        "failures": result.failures,
        "compiled": result.compiled_code is not None,
        "compiled_code": result.compiled_code,
        "relation_name": result.relation_name,
        "batch_results": None,
    }


def run_results_document(
    results: Iterable[NodeResult],
    *,
    command: DBTCommand,
    invocation_id: str,
    elapsed_seconds: float,
    dbt_version: str,
) -> dict[str, Any]:
    return {
        "metadata": {
            "dbt_schema_version": RUN_RESULTS_SCHEMA,
            "dbt_version": dbt_version,
            "generated_at": datetime.now(UTC).isoformat(),
            "invocation_id": invocation_id,
        },
        "results": [_entry(result) for result in results],
        "elapsed_time": elapsed_seconds,
        "args": {"which": command.value.replace(" ", "-")},  # what dbt retry re-runs
    }


def write_run_results(path: Path, results: Iterable[NodeResult], **metadata: Any) -> Path:
    """Write :func:`run_results_document` to ``path`` (atomically: a reader never sees half)."""
    document = run_results_document(results, **metadata)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(document, indent=2), encoding="utf-8")
    partial.replace(path)
    return path
