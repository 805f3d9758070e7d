"""What the API expects of a consumer of the event stream that lives for an invocation."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from floe_core._events import FloeEvent
from floe_core._invocation import DBTInvocation

__all__ = ["RunObserver"]


@runtime_checkable
class RunObserver(Protocol):
    """An event-stream consumer with a lifecycle (lineage, tracing, artifact writers).

    The API calls :meth:`prepare` before the invocation starts (a tracer adds the W3C trace
    context there, so nodes run elsewhere join the trace), subscribes the observer to the
    runtime's bus for the invocation, and calls :meth:`close` once at shutdown to flush.
    """

    def prepare(self, invocation: DBTInvocation) -> DBTInvocation: ...

    def __call__(self, event: FloeEvent) -> None: ...

    def close(self) -> None: ...
