"""OpenLineage emission from the floe event stream (configuration: ``observability.lineage``).

How the API wires it (tracing first, so lineage runs carry their span ids; the observers may
follow any number of invocations and are closed once, at the end)::

    tracer = create_tracing_observer(manifest.observability.tracing)  # floe_core.tracing
    lineage = create_lineage_observer(
        manifest.observability.lineage,
        # the warehouse's namespace from `compute` or the `profile` target (floe_core.warehouses)
        compute_namespace=warehouse_target(manifest).namespace(),
        span_ids=tracer.span_ids if tracer else None,
        extra_run_facets=plugins.lineage_run_facets,  # floe_core.plugins.FloePluginManager
    )
    observers = [o for o in (tracer, lineage) if o is not None]
    for observer in observers:
        invocation = observer.prepare(invocation)
    with runtime.events.subscribed(*observers):  # in this order
        result = runtime.build(invocation)
    ...  # more invocations, each prepared and subscribed the same way
    for observer in observers:
        observer.close()  # bounded by flush_timeout; never raises for delivery problems

Both factories return ``None`` when the section is disabled (or ``OPENLINEAGE_DISABLED`` /
``OTEL_SDK_DISABLED`` is ``true``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from floe_core._lazy import lazy_getattr
from floe_core.lineage._config import LineageConfig

if TYPE_CHECKING:
    from floe_core.lineage._facets import (
        OpenTelemetryRunFacet,
        RunRef,
        TraceIds,
    )
    from floe_core.lineage._memory import (
        InMemoryTransport,
    )
    from floe_core.lineage._observer import (
        ExtraRunFacets,
        LineageObserver,
        SpanIdLookup,
        create_lineage_observer,
    )
    from floe_core.lineage._translator import (
        LINEAGE_RESOURCE_TYPES,
        LineageTranslator,
    )

# The observers pull in the OpenLineage/OpenTelemetry SDKs (about a second of imports);
# they load on first use so that reading a manifest or `floe --help` stays fast.
_LAZY = {
    "OpenTelemetryRunFacet": "floe_core.lineage._facets",
    "RunRef": "floe_core.lineage._facets",
    "TraceIds": "floe_core.lineage._facets",
    "InMemoryTransport": "floe_core.lineage._memory",
    "ExtraRunFacets": "floe_core.lineage._observer",
    "LineageObserver": "floe_core.lineage._observer",
    "SpanIdLookup": "floe_core.lineage._observer",
    "create_lineage_observer": "floe_core.lineage._observer",
    "LINEAGE_RESOURCE_TYPES": "floe_core.lineage._translator",
    "LineageTranslator": "floe_core.lineage._translator",
}

__all__ = [
    "LINEAGE_RESOURCE_TYPES",
    "ExtraRunFacets",
    "InMemoryTransport",
    "LineageConfig",
    "LineageObserver",
    "LineageTranslator",
    "OpenTelemetryRunFacet",
    "RunRef",
    "SpanIdLookup",
    "TraceIds",
    "create_lineage_observer",
]


__getattr__ = lazy_getattr(__name__, _LAZY, extra="lineage")
