"""The artifact store: where manifests, plans and node results live instead of history.

A store maps keys to bytes and answers with an :class:`ArtifactRef` (URI + SHA-256), which
is what travels through Temporal. :func:`open_store` gives floe-core's stores
(:mod:`floe_core.stores`) this interface: a folder every machine can read, or object storage
(S3, GCS, Azure) so workers on different machines cooperate.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

from floe_dbt_temporal._core_store import open_core_store
from floe_dbt_temporal._models import ArtifactRef

__all__ = ["ArtifactStore", "open_store"]


class ArtifactStore(Protocol):
    def put(self, key: str, data: bytes) -> ArtifactRef:
        """Store ``data`` under ``key`` (``/``-separated), replacing what was there."""

    def get(self, ref: ArtifactRef) -> bytes:
        """The content of ``ref``; raises if it is missing or its hash does not match."""

    def list(self, prefix: str) -> list[str]:
        """Keys under ``prefix``."""

    def exists(self, key: str) -> bool: ...

    def get_key(self, key: str) -> bytes: ...


def open_store(location: str | Path, options: Mapping[str, Any] | None = None) -> ArtifactStore:
    """The store for ``artifact_store`` (a folder, ``file://``, ``s3://``, ``gs://``, ``az://``)
    and ``artifact_options`` (``${env:NAME}`` references resolved now, in this process)."""
    return open_core_store(location, options)
