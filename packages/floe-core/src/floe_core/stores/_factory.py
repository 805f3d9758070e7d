"""The artifact store a platform manifest asks for (its ``artifacts`` section)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from floe_core._extras import object_store_extra, requires_extra
from floe_core.manifest import PlatformManifest, resolve_secret_refs
from floe_core.stores._base import ArtifactStore
from floe_core.stores._local import LocalArtifactStore

__all__ = ["open_artifact_store", "open_object_store"]


def open_object_store(url: str, options: Mapping[str, Any] | None = None) -> ArtifactStore:
    """Object storage at ``url`` (S3, GCS or Azure); needs floe-core's extra for that cloud."""
    with requires_extra(object_store_extra(url), f"object storage at {url}"):
        from floe_core.stores._object import ObjectArtifactStore

    return ObjectArtifactStore(url, options)


def open_artifact_store(manifest: PlatformManifest) -> ArtifactStore:
    """A local folder (``type: local``, the default) or object storage (``s3``/``gcs``/``azure``).

    ``${env:NAME}`` references in ``artifacts.options`` are resolved now, at the last moment;
    an unset variable raises :class:`~floe_core.SecretError` naming the option.
    """
    config = manifest.artifacts
    if config.type == "local":
        return LocalArtifactStore(manifest.artifacts_dir())
    assert config.url is not None  # the manifest schema requires it for object stores
    options = resolve_secret_refs(config.options, field="artifacts.options")
    return open_object_store(config.url, options)
