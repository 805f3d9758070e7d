"""The artifact store a platform manifest asks for (its ``artifacts`` section)."""

from __future__ import annotations

from floe_core.manifest import PlatformManifest, resolve_secret_refs
from floe_core.stores._base import ArtifactStore
from floe_core.stores._local import LocalArtifactStore
from floe_core.stores._object import ObjectArtifactStore

__all__ = ["open_artifact_store"]


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
    return ObjectArtifactStore(config.url, options)
