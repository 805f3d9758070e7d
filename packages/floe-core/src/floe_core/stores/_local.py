"""The default artifact store: a local (or shared, e.g. NFS) folder."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from floe_core.stores._base import (
    ArtifactStore,
    StoredArtifact,
    check_key,
    check_prefix,
    sha256_of_file,
)
from floe_core.stores._errors import ArtifactNotFoundError, ArtifactStoreError
from floe_core.stores._files import atomic_copy, atomic_write_bytes

__all__ = ["LocalArtifactStore"]


class LocalArtifactStore(ArtifactStore):
    """Keys are files under ``root``; writes go to a hidden temp file, are fsynced and renamed."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser().resolve()

    @property
    def url(self) -> str:
        return self.root.as_uri()

    def local_path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes) -> StoredArtifact:
        path = self.local_path(key)
        try:
            atomic_write_bytes(path, data)
        except OSError as exc:
            raise self._error("write", key, exc) from exc
        return self._stored(key, data)

    def put_file(self, key: str, source: Path) -> StoredArtifact:
        path = self.local_path(key)
        try:
            atomic_copy(source, path)
        except OSError as exc:
            raise self._error("write", key, exc) from exc
        return StoredArtifact(
            key=key, uri=self.uri(key), size=path.stat().st_size, sha256=sha256_of_file(path)
        )

    def get(self, key: str) -> bytes:
        try:
            return self.local_path(key).read_bytes()
        except FileNotFoundError:
            raise ArtifactNotFoundError(self.uri(key)) from None
        except OSError as exc:
            raise self._error("read", key, exc) from exc

    def exists(self, key: str) -> bool:
        return self.local_path(key).is_file()

    def fingerprints(self, prefix: str = "") -> dict[str, str]:
        folder = self.root / check_prefix(prefix)
        found: dict[str, str] = {}
        for directory, subdirs, files in os.walk(folder):
            subdirs[:] = [name for name in subdirs if not name.startswith(".")]
            for name in files:
                if name.startswith("."):  # an unfinished write
                    continue
                path = Path(directory) / name
                info = path.stat()
                found[path.relative_to(self.root).as_posix()] = f"{info.st_size}:{info.st_mtime_ns}"
        return found

    def delete(self, keys: Iterable[str]) -> None:
        folders = set()
        for key in keys:
            path = self.local_path(key)
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                raise self._error("delete", key, exc) from exc
            folders.add(path.parent)
        # Empty folders left behind would list as runs that no longer exist.
        for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
            while folder != self.root and folder.is_relative_to(self.root):
                try:
                    folder.rmdir()
                except OSError:  # not empty (or already gone): stop climbing
                    break
                folder = folder.parent

    def _error(self, action: str, key: str, exc: OSError) -> ArtifactStoreError:
        return ArtifactStoreError(
            f"cannot {action} artifact {self.uri(key)}: {exc.strerror or exc}",
            hint=f"check that {self.root} exists and is writable by this user",
        )
