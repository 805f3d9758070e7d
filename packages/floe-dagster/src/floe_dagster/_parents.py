"""The Dagster run as the parent of floe's OpenLineage runs and OpenTelemetry spans.

OpenLineage: floe reads ``OPENLINEAGE_PARENT_ID``/``OPENLINEAGE_ROOT_PARENT_ID``
(``<namespace>/<job>/<run id>``, as dbt-ol does) when it builds its lineage observer, so they
are set for the time :meth:`Floe.from_manifest` takes. Tracing: floe's invocation span joins
the current OpenTelemetry context; when Dagster runs without one, the step gets a remote parent
whose trace id *is* the Dagster run id (dashes removed), so a trace is found by run id.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from opentelemetry import context as otel_context
from opentelemetry import trace

__all__ = ["DagsterRunRef", "lineage_parent_env", "lineage_parent_vars", "trace_parent"]

_ENV_LOCK = threading.Lock()
_PARENT, _ROOT = "OPENLINEAGE_PARENT_ID", "OPENLINEAGE_ROOT_PARENT_ID"


@dataclass(frozen=True)
class DagsterRunRef:
    """The Dagster run (and step) that runs floe."""

    job_name: str
    run_id: str
    root_run_id: str
    step_key: str
    namespace: str = "dagster"

    def lineage_id(self, run_id: str) -> str:
        return f"{self.namespace}/{self.job_name}/{run_id}"


def lineage_parent_vars(run: DagsterRunRef) -> dict[str, str]:
    """The environment naming the Dagster run as the OpenLineage parent (and its root run,
    unless an outer orchestrator already set the root)."""
    parent = {_PARENT: run.lineage_id(run.run_id)}
    if os.environ.get(_ROOT) is None:
        parent[_ROOT] = run.lineage_id(run.root_run_id)
    return parent


@contextmanager
def lineage_parent_env(run: DagsterRunRef) -> Iterator[None]:
    """:func:`lineage_parent_vars` in this process's environment while floe builds its
    observers."""
    with _ENV_LOCK:
        saved = {name: os.environ.get(name) for name in (_PARENT, _ROOT)}
        os.environ.update(lineage_parent_vars(run))
        try:
            yield
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def _step_span_id(run: DagsterRunRef) -> int:
    digest = hashlib.blake2b(f"{run.run_id}/{run.step_key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") or 1


def trace_parent(run: DagsterRunRef) -> otel_context.Context:
    """The context floe's spans start in: the caller's span if there is one, else a remote
    span standing for the Dagster step, in the trace named after the Dagster run."""
    current = otel_context.get_current()
    if trace.get_current_span(current).get_span_context().is_valid:
        return current
    try:
        trace_id = uuid.UUID(run.run_id).int
    except ValueError:  # not a UUID (a test's own run id): still one stable trace per run
        trace_id = int.from_bytes(hashlib.blake2b(run.run_id.encode(), digest_size=16).digest())
    step = trace.SpanContext(
        trace_id=trace_id,
        span_id=_step_span_id(run),
        is_remote=True,
        trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
    )
    return trace.set_span_in_context(trace.NonRecordingSpan(step), current)
