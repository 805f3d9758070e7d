"""Where floe keeps what outlives a process: run artifacts and (fetched) dbt projects.

>>> store = open_artifact_store(manifest)          # local folder, S3, GCS or Azure
>>> store.put("shop/<invocation_id>/result.json", data)

An :class:`ArtifactStore` maps ``/``-separated keys to bytes, writes atomically and lists by
prefix; :class:`LocalArtifactStore` is a folder, :class:`ObjectArtifactStore` object storage
through obstore (ADR 0006).
"""

from __future__ import annotations

from floe_core.stores._base import ArtifactStore, StoredArtifact
from floe_core.stores._errors import (
    ArtifactCorruptedError,
    ArtifactNotFoundError,
    ArtifactStoreError,
)
from floe_core.stores._factory import open_artifact_store
from floe_core.stores._local import LocalArtifactStore
from floe_core.stores._object import ObjectArtifactStore

__all__ = [
    "ArtifactCorruptedError",
    "ArtifactNotFoundError",
    "ArtifactStore",
    "ArtifactStoreError",
    "LocalArtifactStore",
    "ObjectArtifactStore",
    "StoredArtifact",
    "open_artifact_store",
]
