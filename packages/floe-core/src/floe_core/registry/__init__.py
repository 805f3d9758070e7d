"""The runtime registry: which runtimes are installed, and building the one a manifest picks.

>>> registry = PluginRegistry()
>>> [entry.name for entry in registry.available()]
>>> runtime = registry.create_from_manifest(manifest, events=bus)
"""

from __future__ import annotations

from floe_core.registry._registry import (
    CONFIG_FIELD,
    ENTRY_POINT_GROUP,
    KNOWN_RUNTIMES,
    PluginRegistry,
    RuntimeEntry,
    check_api_version,
)

__all__ = [
    "CONFIG_FIELD",
    "ENTRY_POINT_GROUP",
    "KNOWN_RUNTIMES",
    "PluginRegistry",
    "RuntimeEntry",
    "check_api_version",
]
