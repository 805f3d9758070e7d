"""Artifacts in object storage (S3 and S3-compatible, GCS, Azure) through obstore.

obstore (Rust ``object_store``) gives one API over the three clouds with atomic writes: a
PUT is atomic per object and a multipart upload that fails is aborted, so no reader sees a
partial object (ADR 0009). Its errors are translated here, at the boundary, into
:class:`~floe_core.stores.ArtifactStoreError` naming the artifact's URI; the messages keep
only their first line, which never carries credentials.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import obstore
from obstore.exceptions import BaseError as ObstoreError
from obstore.store import ObjectStore, from_url

from floe_core.stores._base import (
    ArtifactStore,
    StoredArtifact,
    check_key,
    check_prefix,
    sha256_of_file,
)
from floe_core.stores._errors import ArtifactNotFoundError, ArtifactStoreError

__all__ = ["CLIENT_OPTIONS", "ObjectArtifactStore"]

CLIENT_OPTIONS = frozenset(
    {
        "allow_http",
        "allow_invalid_certificates",
        "connect_timeout",
        "timeout",
        "proxy_url",
        "user_agent",
    }
)
"""Option names that configure the HTTP client rather than the store (same for all clouds)."""

_RETRY = {
    "max_retries": 3,
    "retry_timeout": timedelta(seconds=30),
    "backoff": {"init_backoff": timedelta(milliseconds=100), "max_backoff": timedelta(seconds=5)},
}


_NO_BUCKET = ("NoSuchBucket", "ContainerNotFound", "bucket does not exist")
_RESPONSE_BODY = re.compile(r": <\?xml.*$|: \{.*$| in [0-9.]+m?s(?=[ ,])")


def _first_line(exc: BaseException) -> str:
    """The error's first line without the server's response body and timing."""
    line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return _RESPONSE_BODY.sub("", line)


class ObjectArtifactStore(ArtifactStore):
    """Keys are objects under ``url`` (``s3://bucket/prefix``, ``gs://...``, ``az://...``).

    ``options`` are obstore's settings for that cloud (``endpoint``, ``region``,
    ``access_key_id``...), already resolved from ``${env:NAME}`` references; the HTTP client
    ones in :data:`CLIENT_OPTIONS` (``allow_http`` for a MinIO on plain HTTP) are passed as
    client options. Without credentials obstore uses the cloud's usual environment/instance
    credentials.
    """

    def __init__(self, url: str, options: Mapping[str, Any] | None = None) -> None:
        self._url = url.rstrip("/")
        settings = dict(options or {})
        client = {name: settings.pop(name) for name in list(settings) if name in CLIENT_OPTIONS}
        try:
            # The option names are cloud-specific; obstore itself rejects unknown ones.
            self._store: ObjectStore = from_url(
                self._url,
                config=cast(Any, settings),
                client_options=cast(Any, client),
                retry_config=cast(Any, _RETRY),
            )
        except (ObstoreError, ValueError, TypeError) as exc:
            raise ArtifactStoreError(
                f"cannot open the artifact store {self._url}: {_first_line(exc)}",
                hint="check `url` and the option names under `options` (obstore settings such"
                " as endpoint, region, access_key_id)",
            ) from exc

    @property
    def url(self) -> str:
        return self._url

    def put(self, key: str, data: bytes) -> StoredArtifact:
        with self._translated("write", key):
            obstore.put(self._store, check_key(key), data)
        return self._stored(key, data)

    def put_file(self, key: str, source: Path) -> StoredArtifact:
        digest = sha256_of_file(source)
        with self._translated("write", key):
            # Large files go up as a multipart upload, completed only when every part is in.
            obstore.put(self._store, check_key(key), source)
        size = source.stat().st_size
        return StoredArtifact(key=key, uri=self.uri(key), size=size, sha256=digest)

    def get(self, key: str) -> bytes:
        with self._translated("read", key):
            return bytes(obstore.get(self._store, check_key(key)).bytes())

    def exists(self, key: str) -> bool:
        try:
            with self._translated("read", key):
                obstore.head(self._store, check_key(key))
        except ArtifactNotFoundError:
            return False
        return True

    def fingerprints(self, prefix: str = "") -> dict[str, str]:
        folder = check_prefix(prefix)
        with self._translated("list", folder or "."):
            listing = obstore.list(self._store, folder or None).collect()
        return {
            meta["path"]: meta["e_tag"] or f"{meta['size']}:{meta['last_modified'].isoformat()}"
            for meta in listing
        }

    def delete(self, keys: Iterable[str]) -> None:
        batch = [check_key(key) for key in keys]
        if batch:
            with self._translated("delete", batch[0]):
                obstore.delete(self._store, batch)

    @contextmanager
    def _translated(self, action: str, key: str) -> Iterator[None]:
        try:
            yield
        except (ObstoreError, OSError, ValueError) as exc:
            if any(marker in str(exc) for marker in _NO_BUCKET):
                raise ArtifactStoreError(
                    f"cannot {action} artifact {self.uri(key)}: the bucket or container does"
                    " not exist",
                    hint=f"create the bucket (container) of {self._url}, or fix the manifest's"
                    " `url`",
                ) from None
            if isinstance(exc, FileNotFoundError):
                raise ArtifactNotFoundError(self.uri(key)) from None
            raise ArtifactStoreError(
                f"cannot {action} artifact {self.uri(key)}: {_first_line(exc)}",
                hint="check the store's endpoint, bucket and credentials in the manifest's"
                " `artifacts` section",
            ) from exc
