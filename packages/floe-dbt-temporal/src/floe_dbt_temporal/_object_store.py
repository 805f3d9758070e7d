"""The temporal runtime's artifact location as a floe-core object store: S3, GCS, Azure or a
folder, so workers on different machines share plans, manifests and node results.

What travels through Temporal is the :class:`~floe_core.stores.StoredArtifact` a ``put``
returns (key, URI, SHA-256); :func:`read_artifact` reads it back, checked against its hash.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from floe_core import stores
from floe_core.manifest import resolve_secret_refs
from floe_core.stores import (
    ArtifactNotFoundError,
    ArtifactStore,
    LocalArtifactStore,
    StoredArtifact,
)

__all__ = ["open_object_store", "read_artifact"]


def open_object_store(
    location: str | Path, options: Mapping[str, Any] | None = None
) -> ArtifactStore:
    """A folder (a path or ``file://`` URI) or object storage (``s3://``, ``gs://``, ``az://``).

    ``options`` are the object store's settings (``endpoint``, ``region``, credentials as
    ``${env:NAME}`` references, resolved here, in this process).
    """
    text = str(location)
    if text.startswith("file://"):
        return LocalArtifactStore(Path(urlsplit(text).path))
    if "://" not in text:
        return LocalArtifactStore(Path(text))
    resolved = resolve_secret_refs(dict(options or {}), field="artifact_store.options")
    # obstore (~6 MiB resident) loads only here: a worker on a folder never pays for it
    return stores.open_object_store(text, resolved)


def read_artifact(store: ArtifactStore, ref: StoredArtifact) -> bytes:
    """The content of ``ref``; a missing or changed artifact, or one written to another
    store than this process's, raises an error naming it."""
    if store.uri(ref.key) != ref.uri:
        raise ArtifactNotFoundError(
            ref.uri,
            hint=f"this process's artifact_store is {store.url}; the client and every"
            " worker must use the same store",
        )
    return store.get_verified(ref.key, ref.sha256)
