"""floe's own OpenLineage facets and the producer URI that signs every event."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

import attr
from openlineage.client.facet_v2 import RunFacet

__all__ = ["FLOE_VERSION", "PRODUCER", "OpenTelemetryRunFacet"]


def _floe_version() -> str:
    try:
        return version("floe-core")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0.0.0"


FLOE_VERSION = _floe_version()
PRODUCER = f"https://github.com/floe-dev/floe/tree/{FLOE_VERSION}/packages/floe-core"
_SCHEMA_BASE = f"https://github.com/floe-dev/floe/blob/{FLOE_VERSION}/spec/facets"


@attr.define
class OpenTelemetryRunFacet(RunFacet):
    """The OpenTelemetry span of this run, so a lineage event leads to its trace and back.

    ``traceId`` and ``spanId`` are lower-case hex as in a W3C ``traceparent``.
    """

    traceId: str
    spanId: str

    @staticmethod
    def _get_schema() -> str:
        return f"{_SCHEMA_BASE}/OpenTelemetryRunFacet.json"
