"""floe-core's own version, as installed (OpenLineage producer URIs, OpenTelemetry scopes)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

__all__ = ["FLOE_VERSION"]


def _floe_version() -> str:
    try:
        return version("floe-core")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


FLOE_VERSION = _floe_version()
