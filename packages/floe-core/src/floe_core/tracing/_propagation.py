"""W3C trace context across process boundaries (``DBTInvocation.trace_context``).

A runtime that runs nodes in other processes ships ``invocation.trace_context`` with the work
and, there, parents its spans with ``context_from_carrier(invocation.trace_context)`` (or sets
``env_carrier(...)`` on a child process, the ``TRACEPARENT`` convention).
"""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

__all__ = ["context_from_carrier", "env_carrier", "inject_carrier"]

_W3C = TraceContextTextMapPropagator()


def inject_carrier(span: Span) -> dict[str, str]:
    """``{"traceparent": ..., "tracestate"?: ...}`` naming ``span`` as the parent."""
    carrier: dict[str, str] = {}
    _W3C.inject(carrier, context=trace.set_span_in_context(span))
    return carrier


def context_from_carrier(carrier: Mapping[str, str]) -> Context | None:
    """The parent context a W3C carrier names; ``None`` (the current context) without one."""
    if not carrier.get("traceparent"):
        return None
    return _W3C.extract(dict(carrier))


def env_carrier(carrier: Mapping[str, str]) -> dict[str, str]:
    """The carrier as ``TRACEPARENT``/``TRACESTATE`` environment variables."""
    return {key.upper(): value for key, value in carrier.items() if key in _W3C.fields}
