"""The observers a manifest asks for: the one place they are built and ordered."""

from __future__ import annotations

from floe_core._errors import ConfigError
from floe_core._observer import RunObserver
from floe_core.artifacts import ResultsStore
from floe_core.lineage import dataset_namespace
from floe_core.manifest import DuckDBCompute, PlatformManifest
from floe_core.plugins import FloePluginManager, PluginHookObserver
from floe_core.stores import open_artifact_store

__all__ = ["observers_from_manifest"]


def _compute_namespace(manifest: PlatformManifest) -> str:
    """The OpenLineage namespace of the datasets the manifest's warehouse holds."""
    compute = manifest.compute
    if compute is None:
        raise ConfigError(
            "observability.lineage is enabled but the manifest has no 'compute' section, so"
            " floe cannot name the warehouse's datasets",
            hint="describe the warehouse under 'compute', or disable observability.lineage",
        )
    if isinstance(compute, DuckDBCompute):
        path = compute.config.path
        return dataset_namespace(
            "duckdb", path=path if path == ":memory:" else manifest.resolve_path(path)
        )
    return dataset_namespace("postgres", host=compute.config.host, port=compute.config.port)


def observers_from_manifest(
    manifest: PlatformManifest, plugins: FloePluginManager
) -> list[RunObserver]:
    """Tracing, lineage, extension plugins' hooks and the results store, in that order.

    Tracing comes first so that its ``prepare`` puts the trace context on the invocation and
    lineage runs carry their span ids; the store comes last so that the invocation it records
    carries what the others added.
    """
    observability = manifest.observability
    tracer = None
    if observability.tracing.enabled:
        from floe_core.tracing import create_tracing_observer  # loads the OpenTelemetry SDK

        tracer = create_tracing_observer(observability.tracing)
    lineage = None
    if observability.lineage.enabled:
        from floe_core.lineage import create_lineage_observer  # loads the OpenLineage client

        lineage = create_lineage_observer(
            observability.lineage,
            compute_namespace=_compute_namespace(manifest),
            span_ids=tracer.span_ids if tracer is not None else None,
            extra_run_facets=plugins.lineage_run_facets,
        )
    optional = [observer for observer in (tracer, lineage) if observer is not None]
    results = ResultsStore(
        open_artifact_store(manifest),
        retention=manifest.artifacts.retention,
        where=manifest.locate("artifacts"),
    )
    return [*optional, PluginHookObserver(plugins), results]
