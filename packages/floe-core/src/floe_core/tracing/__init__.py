"""OpenTelemetry spans and metrics from the floe event stream (``observability.tracing``).

The API creates the observer with ``create_tracing_observer(config)`` (``None`` when tracing is
off), calls ``invocation = observer.prepare(invocation)`` so the invocation carries the W3C
context of its span, subscribes the observer to the runtime's bus before the lineage observer
(see :mod:`floe_core.lineage`), and calls ``observer.close()`` once at the end.

Runtimes that execute nodes elsewhere parent their own spans with
``context_from_carrier(invocation.trace_context)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from floe_core._lazy import lazy_getattr
from floe_core.tracing._config import TracingConfig

if TYPE_CHECKING:
    from floe_core.tracing._observer import (
        TracingObserver,
        create_tracing_observer,
    )
    from floe_core.tracing._propagation import (
        context_from_carrier,
        env_carrier,
        inject_carrier,
    )

# The observers pull in the OpenLineage/OpenTelemetry SDKs (about a second of imports);
# they load on first use so that reading a manifest or `floe --help` stays fast.
_LAZY = {
    "TracingObserver": "floe_core.tracing._observer",
    "create_tracing_observer": "floe_core.tracing._observer",
    "context_from_carrier": "floe_core.tracing._propagation",
    "env_carrier": "floe_core.tracing._propagation",
    "inject_carrier": "floe_core.tracing._propagation",
}

__all__ = [
    "TracingConfig",
    "TracingObserver",
    "context_from_carrier",
    "create_tracing_observer",
    "env_carrier",
    "inject_carrier",
]


__getattr__ = lazy_getattr(__name__, _LAZY, extra="tracing")
