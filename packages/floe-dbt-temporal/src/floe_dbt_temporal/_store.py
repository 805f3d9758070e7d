"""The artifact store: where manifests, plans and node results live instead of history.

A store maps keys to bytes and answers with an :class:`ArtifactRef` (URI + SHA-256), which
is what travels through Temporal. :class:`LocalArtifactStore` is a directory every worker
and the client can read (a shared path, or one machine); an object store (S3) implements the
same three methods.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol
from urllib.parse import urlparse

from floe_core import RuntimeExecutionError
from floe_dbt_temporal._models import ArtifactRef

__all__ = ["ArtifactStore", "LocalArtifactStore", "open_store"]


class ArtifactStore(Protocol):
    def put(self, key: str, data: bytes) -> ArtifactRef:
        """Store ``data`` under ``key`` (``/``-separated), replacing what was there."""

    def get(self, ref: ArtifactRef) -> bytes:
        """The content of ``ref``; raises if it is missing or its hash does not match."""

    def list(self, prefix: str) -> list[str]:
        """Keys under ``prefix``."""

    def exists(self, key: str) -> bool: ...

    def get_key(self, key: str) -> bytes: ...


class LocalArtifactStore:
    """A directory; writes are atomic (temp file + rename) so readers never see half a file."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser().resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"artifact key {key!r} escapes the store root")
        return path

    def put(self, key: str, data: bytes) -> ArtifactRef:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
        return ArtifactRef(
            uri=path.as_uri(), sha256=hashlib.sha256(data).hexdigest(), size=len(data)
        )

    def get(self, ref: ArtifactRef) -> bytes:
        path = Path(urlparse(ref.uri).path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise RuntimeExecutionError(
                f"artifact {ref.uri} cannot be read: {exc}",
                hint="workers and the client must share the artifact directory "
                "(temporal config `artifact_dir`)",
            ) from exc
        if hashlib.sha256(data).hexdigest() != ref.sha256:
            raise RuntimeExecutionError(f"artifact {ref.uri} changed since it was stored")
        return data

    def get_key(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str) -> list[str]:
        base = self._path(prefix)
        if not base.is_dir():
            return []
        return sorted(
            str(path.relative_to(self.root))
            for path in base.rglob("*")
            if path.is_file() and not path.name.startswith(".")
        )


def open_store(location: str | Path) -> ArtifactStore:
    """The store for a config value: a path or a ``file://`` URI."""
    text = str(location)
    if text.startswith("file://"):
        return LocalArtifactStore(Path(urlparse(text).path))
    if "://" in text:
        raise RuntimeExecutionError(
            f"artifact store {text!r} is not supported yet",
            hint="use a directory shared by the client and the workers",
        )
    return LocalArtifactStore(Path(text))
