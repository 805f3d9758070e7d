"""The observers a manifest asks for: the one place they are built and ordered."""

from __future__ import annotations

from pathlib import Path

from floe_core._extras import requires_extra
from floe_core._observer import RunObserver
from floe_core.artifacts import ResultsStore
from floe_core.manifest import PlatformManifest
from floe_core.plugins import FloePluginManager, PluginHookObserver
from floe_core.stores import open_artifact_store
from floe_core.warehouses import namespace_by_target

__all__ = ["observers_from_manifest"]


def observers_from_manifest(
    manifest: PlatformManifest, plugins: FloePluginManager, *, project_dir: Path | None = None
) -> list[RunObserver]:
    """Tracing, lineage, extension plugins' hooks and the results store, in that order.

    Tracing comes first so that its ``prepare`` puts the trace context on the invocation and
    lineage runs carry their span ids; the store comes last so that the invocation it records
    carries what the others added. Lineage names datasets after the warehouse the manifest
    runs on (``compute``, or the target of its ``profile``, per invocation's ``--target``;
    ``project_dir`` holds the dbt_project.yml naming the profile).
    """
    observability = manifest.observability
    tracer = None
    if observability.tracing.enabled:
        with requires_extra("tracing", "observability.tracing"):  # the OpenTelemetry SDK
            from floe_core.tracing._observer import create_tracing_observer

        tracer = create_tracing_observer(observability.tracing)
    lineage = None
    if observability.lineage.enabled:
        with requires_extra("lineage", "observability.lineage"):  # the OpenLineage client
            from floe_core.lineage._observer import create_lineage_observer

        namespaces = namespace_by_target(manifest, project_dir=project_dir)
        lineage = create_lineage_observer(
            observability.lineage,
            compute_namespace=namespaces(manifest.project.target),
            namespace_for_target=namespaces,
            span_ids=tracer.span_ids if tracer is not None else None,
            extra_run_facets=plugins.lineage_run_facets,
        )
    optional = [observer for observer in (tracer, lineage) if observer is not None]
    results = ResultsStore(open_artifact_store(manifest), retention=manifest.artifacts.retention)
    return [*optional, PluginHookObserver(plugins), results]
