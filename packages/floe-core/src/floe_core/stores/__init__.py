"""Where floe keeps what outlives a process: run artifacts and (fetched) dbt projects.

>>> store = open_artifact_store(manifest)          # local folder, S3, GCS or Azure
>>> store.put("shop/<invocation_id>/result.json", data)
>>> project = fetch_project(manifest)              # project.dir, or git / object storage
>>> project.path, project.version

An :class:`ArtifactStore` maps ``/``-separated keys to bytes, writes atomically and lists by
prefix; :class:`LocalArtifactStore` is a folder, :class:`ObjectArtifactStore` object storage
through obstore. A :class:`ProjectStore` resolves a project source to a version (commit SHA
or content hash) and checks that version out once into its cache (ADR 0009).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from floe_core._lazy import lazy_getattr
from floe_core.stores._base import ArtifactStore, StoredArtifact
from floe_core.stores._errors import (
    ArtifactCorruptedError,
    ArtifactNotFoundError,
    ArtifactStoreError,
)
from floe_core.stores._factory import open_artifact_store, open_object_store
from floe_core.stores._local import LocalArtifactStore
from floe_core.stores._project import (
    FetchedProject,
    ProjectLocation,
    ProjectStore,
    fetch_project,
    folder_version,
    project_directory,
)

if TYPE_CHECKING:
    from floe_core.stores._object import ObjectArtifactStore

# Object storage needs obstore (floe-core[s3]/[gcs]/[azure]): imported when first used.
_LAZY = {"ObjectArtifactStore": "floe_core.stores._object"}

__all__ = [
    "ArtifactCorruptedError",
    "ArtifactNotFoundError",
    "ArtifactStore",
    "ArtifactStoreError",
    "FetchedProject",
    "LocalArtifactStore",
    "ObjectArtifactStore",
    "ProjectLocation",
    "ProjectStore",
    "StoredArtifact",
    "fetch_project",
    "folder_version",
    "open_artifact_store",
    "open_object_store",
    "project_directory",
]


__getattr__ = lazy_getattr(__name__, _LAZY, extra="s3")
