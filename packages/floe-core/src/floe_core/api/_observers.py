"""The observers a manifest asks for: the one place they are built."""

from __future__ import annotations

from floe_core._observer import RunObserver
from floe_core.artifacts import LocalResultsStore
from floe_core.manifest import PlatformManifest
from floe_core.plugins import FloePluginManager, PluginHookObserver

__all__ = ["observers_from_manifest"]


def observers_from_manifest(
    manifest: PlatformManifest, plugins: FloePluginManager
) -> list[RunObserver]:
    """Extension plugins' hooks, whatever ``observability`` enables, the results store.

    The store comes last so that the invocation it records carries what earlier observers
    added in ``prepare`` (the tracer's trace context).
    """
    return [PluginHookObserver(plugins), LocalResultsStore(manifest.artifacts_dir())]
