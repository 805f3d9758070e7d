"""``observability.lineage`` in platform-manifest.yaml."""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["LineageConfig", "enabled_by_environment"]


def _default_namespace() -> str:
    # dbt-ol's convention: OPENLINEAGE_NAMESPACE names the job namespace, default "dbt".
    return os.environ.get("OPENLINEAGE_NAMESPACE") or "dbt"


def enabled_by_environment() -> bool:
    """Whether the standard OpenLineage variables configure a transport: ``OPENLINEAGE_URL``
    (with ``OPENLINEAGE_API_KEY``, ``OPENLINEAGE_ENDPOINT``), ``OPENLINEAGE_CONFIG`` (an
    openlineage.yml) or ``OPENLINEAGE__TRANSPORT__*``, as dbt-ol users set them."""
    return bool(os.environ.get("OPENLINEAGE_URL") or os.environ.get("OPENLINEAGE_CONFIG")) or any(
        name.startswith("OPENLINEAGE__TRANSPORT") for name in os.environ
    )


class LineageConfig(BaseModel):
    """OpenLineage emission.

    ``transport`` is handed as is to the OpenLineage client's transport factory, so every
    transport it knows (``console``, ``file``, ``http``, ``kafka``, ``composite``, custom ones
    by dotted path) works, e.g. ``{type: http, url: "https://marquez:5000", timeout: 5}``.
    Without it the client's own configuration applies (``openlineage.yml``,
    ``OPENLINEAGE__TRANSPORT__*``, ``OPENLINEAGE_URL``); ``OPENLINEAGE_DISABLED=true`` disables.
    """

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(default_factory=enabled_by_environment)
    """Default: on when ``OPENLINEAGE_URL``, ``OPENLINEAGE_CONFIG`` or an
    ``OPENLINEAGE__TRANSPORT__*`` variable is set, so a run with no manifest, or a manifest
    that does not say, emits lineage where dbt-ol would; ``enabled: false`` wins over them
    (docs/observability.md, zero-config lineage)."""
    namespace: str = Field(default_factory=_default_namespace, min_length=1)
    """Job namespace of the events (``OPENLINEAGE_NAMESPACE``, default ``dbt``)."""
    transport: dict[str, Any] | None = None
    """OpenLineage client transport configuration; ``type`` selects the transport."""
    naming: Literal["floe", "dbt-ol"] = "floe"
    """Job and dataset naming: ``floe`` (default) or ``dbt-ol``, openlineage-dbt's job names
    and DuckDB namespace so that a team switching from dbt-ol keeps its job histories
    (docs/observability.md lists both rule sets)."""
    delivery: Literal["thread", "process"] = "thread"
    """Where events are built and sent: ``thread``, a thread of the run's process, or
    ``process``, a child process started with the observer, so that their CPU (about 0.4 ms
    per event over HTTP) is not taken from dbt's threads under the GIL, for about a second of
    CPU to start it; its warnings go to stderr as plain lines, and the end of a run shorter
    than its start-up waits for it."""
    flush_timeout: float = Field(default=5.0, ge=0)
    """Longest time, in seconds, the end of a run waits for undelivered events."""
