"""What an artifact store is: keys to immutable-once-written bytes, written atomically.

A key is a ``/``-separated relative path (``shop/runs/<id>.json``). Every write is atomic: a
reader sees the previous object or the new one, never part of one (local files: temp file,
fsync, rename; object storage: one PUT, or a multipart upload that is completed or aborted).
Listing is by folder prefix. Implementations translate their own errors into
:class:`~floe_core.stores.ArtifactStoreError` naming the artifact's URI.
"""

from __future__ import annotations

import hashlib
import uuid
from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from floe_core.stores._errors import ArtifactCorruptedError, ArtifactStoreError

__all__ = ["ArtifactStore", "StoredArtifact", "check_key", "sha256_of_file"]

_CHUNK = 1024 * 1024


class StoredArtifact(BaseModel):
    """Where an artifact was written and what it contained (to verify it when read back)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    uri: str
    size: int
    sha256: str


def check_key(key: str) -> str:
    """``key`` if it is a clean relative ``/``-path; raises :class:`ArtifactStoreError`.

    Segments may not be empty, ``.``/``..`` or start with a dot (temp files are hidden that
    way), so a key never escapes the store and never collides with an unfinished write.
    """
    parts = key.split("/")
    if not key or any(not part or part.startswith(".") or "\\" in part for part in parts):
        raise ArtifactStoreError(
            f"invalid artifact key {key!r}",
            hint="use a relative '/'-separated path whose parts do not start with '.'",
        )
    return key


def check_prefix(prefix: str) -> str:
    """``prefix`` without surrounding slashes; the empty prefix lists the whole store."""
    stripped = prefix.strip("/")
    return check_key(stripped) if stripped else ""


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class ArtifactStore(ABC):
    """Bytes under keys, written atomically, listed by prefix (see the module docstring)."""

    @property
    @abstractmethod
    def url(self) -> str:
        """Where the store is (``file:///...``, ``s3://bucket/prefix``); never credentials."""

    def uri(self, key: str) -> str:
        """The full location of ``key``, for messages and references."""
        return f"{self.url.rstrip('/')}/{key}"

    @abstractmethod
    def put(self, key: str, data: bytes) -> StoredArtifact:
        """Write ``data`` under ``key`` atomically, replacing what was there."""

    @abstractmethod
    def put_file(self, key: str, source: Path) -> StoredArtifact:
        """Copy the file ``source`` to ``key`` atomically, streaming large files."""

    @abstractmethod
    def get(self, key: str) -> bytes:
        """The content of ``key``; raises :class:`ArtifactNotFoundError` naming it if absent."""

    @abstractmethod
    def fingerprints(self, prefix: str = "") -> dict[str, str]:
        """Every key under the folder ``prefix`` (recursively), each with a fingerprint that
        changes whenever its content does (the ETag; size and mtime for a file)."""

    def list(self, prefix: str = "") -> list[str]:
        """Every key under the folder ``prefix`` (recursively), sorted."""
        return sorted(self.fingerprints(prefix))

    @abstractmethod
    def exists(self, key: str) -> bool: ...

    @abstractmethod
    def delete(self, keys: Iterable[str]) -> None:
        """Remove ``keys``; keys already gone are not an error."""

    def local_path(self, key: str) -> Path | None:
        """The file behind ``key`` when the store is a local folder, else ``None``.

        Lets a writer stream into the final place (an event log flushed per event) instead of
        uploading at the end.
        """
        return None

    def get_verified(self, key: str, sha256: str) -> bytes:
        """The content of ``key``, checked against the SHA-256 recorded when it was written."""
        data = self.get(key)
        actual = hashlib.sha256(data).hexdigest()
        if actual != sha256:
            raise ArtifactCorruptedError(
                self.uri(key), f"SHA-256 is {actual[:12]}..., {sha256[:12]}... was written"
            )
        return data

    def check_writable(self) -> None:
        """Write a small probe object and remove it; raises :class:`ArtifactStoreError` naming
        the probe's URI when the store cannot be written (read-only, full, unreachable)."""
        key = f"floe-write-probe-{uuid.uuid4().hex}"
        self.put(key, b"floe write probe\n")
        self.delete([key])

    def delete_prefix(self, prefix: str) -> None:
        """Remove every key under the folder ``prefix``."""
        self.delete(self.list(prefix))

    def _stored(self, key: str, data: bytes) -> StoredArtifact:
        return StoredArtifact(
            key=key, uri=self.uri(key), size=len(data), sha256=hashlib.sha256(data).hexdigest()
        )
