"""The temporal runtime's artifact store on floe-core's stores: S3, GCS, Azure or a folder.

:class:`CoreArtifactStore` gives any :class:`floe_core.stores.ArtifactStore` the interface of
:class:`~floe_dbt_temporal._store.ArtifactStore` (put -> :class:`ArtifactRef`, get by ref with
its SHA-256 checked), so workers on different machines share plans, manifests and node
results through a bucket instead of a shared folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from floe_core.manifest import resolve_secret_refs
from floe_core.stores import (
    ArtifactNotFoundError,
    ArtifactStore,
    LocalArtifactStore,
    ObjectArtifactStore,
)
from floe_dbt_temporal._models import ArtifactRef

__all__ = ["CoreArtifactStore", "open_core_store"]


class CoreArtifactStore:
    """A floe-core artifact store seen through the temporal runtime's store protocol."""

    def __init__(self, store: ArtifactStore) -> None:
        self.store = store

    def put(self, key: str, data: bytes) -> ArtifactRef:
        stored = self.store.put(key, data)
        return ArtifactRef(uri=stored.uri, sha256=stored.sha256, size=stored.size)

    def get(self, ref: ArtifactRef) -> bytes:
        """The content of ``ref``; a missing or changed artifact raises an error naming it."""
        prefix = f"{self.store.url.rstrip('/')}/"
        if not ref.uri.startswith(prefix):
            raise ArtifactNotFoundError(
                ref.uri,
                hint=f"this worker's artifact store is {self.store.url}; the client and every"
                " worker must use the same store",
            )
        return self.store.get_verified(ref.uri.removeprefix(prefix), ref.sha256)

    def get_key(self, key: str) -> bytes:
        return self.store.get(key)

    def exists(self, key: str) -> bool:
        return self.store.exists(key)

    def list(self, prefix: str) -> list[str]:
        return self.store.list(prefix)


def open_core_store(
    location: str | Path, options: Mapping[str, Any] | None = None
) -> CoreArtifactStore:
    """A folder (a path or ``file://`` URI) or object storage (``s3://``, ``gs://``, ``az://``).

    ``options`` are the object store's settings (``endpoint``, ``region``, credentials as
    ``${env:NAME}`` references, resolved here).
    """
    text = str(location)
    if text.startswith("file://"):
        return CoreArtifactStore(LocalArtifactStore(Path(urlsplit(text).path)))
    if "://" not in text:
        return CoreArtifactStore(LocalArtifactStore(Path(text)))
    resolved = resolve_secret_refs(dict(options or {}), field="artifact_store.options")
    return CoreArtifactStore(ObjectArtifactStore(text, resolved))
