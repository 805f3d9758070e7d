"""Every ArtifactStore behaves the same, on a local folder and on S3 (moto on loopback)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from floe_core import FloeError
from floe_core.stores import (
    ArtifactCorruptedError,
    ArtifactNotFoundError,
    ArtifactStore,
    ArtifactStoreError,
    ObjectArtifactStore,
)


def test_bytes_written_are_read_back_and_listed_by_folder(store: ArtifactStore) -> None:
    stored = store.put("shop/run-1/result.json", b'{"ok": true}')
    store.put("shop/run-1/nodes/model.shop.a.json", b"{}")
    store.put("shop/run-10/result.json", b"{}")

    assert store.get("shop/run-1/result.json") == b'{"ok": true}'
    assert stored.uri == store.uri("shop/run-1/result.json")
    assert stored.sha256 == hashlib.sha256(b'{"ok": true}').hexdigest()
    # a prefix is a folder: run-1 does not list run-10
    assert store.list("shop/run-1") == [
        "shop/run-1/nodes/model.shop.a.json",
        "shop/run-1/result.json",
    ]
    assert len(store.list()) == 3
    assert store.exists("shop/run-10/result.json")
    assert not store.exists("shop/run-2/result.json")


def test_a_rewrite_replaces_and_deletes_are_idempotent(store: ArtifactStore) -> None:
    store.put("a/b.json", b"old")
    store.put("a/b.json", b"new")
    assert store.get("a/b.json") == b"new"

    store.put("a/c.json", b"c")
    store.delete_prefix("a")
    store.delete(["a/b.json", "never/written.json"])
    assert store.list("a") == []
    assert store.list() == []


def test_a_large_file_is_uploaded_whole(store: ArtifactStore, tmp_path: Path) -> None:
    source = tmp_path / "manifest.json"
    source.write_bytes(os.urandom(7 * 1024 * 1024))  # above obstore's 5 MiB multipart threshold

    stored = store.put_file("shop/run/manifest.json", source)

    assert store.get("shop/run/manifest.json") == source.read_bytes()
    assert stored.size == source.stat().st_size
    assert store.list("shop") == ["shop/run/manifest.json"]


def test_a_missing_artifact_is_named_in_the_error(store: ArtifactStore) -> None:
    with pytest.raises(ArtifactNotFoundError) as caught:
        store.get("shop/run-1/run_results.json")
    assert isinstance(caught.value, FloeError)
    assert (
        str(caught.value) == f"artifact {store.uri('shop/run-1/run_results.json')} does not exist"
    )


def test_an_artifact_changed_after_writing_is_reported_corrupted(store: ArtifactStore) -> None:
    stored = store.put("shop/run/manifest.json", b'{"nodes": {}}')
    store.put("shop/run/manifest.json", b'{"nodes": {')  # truncated behind the writer's back

    with pytest.raises(ArtifactCorruptedError, match=r"manifest\.json is corrupted: SHA-256"):
        store.get_verified("shop/run/manifest.json", stored.sha256)
    assert store.get_verified("shop/run/manifest.json", hashlib.sha256(b'{"nodes": {').hexdigest())


@pytest.mark.parametrize("key", ["", "/abs", "a//b", "a/../b", "a/.hidden", "a\\b"])
def test_keys_that_could_escape_or_hide_are_refused(store: ArtifactStore, key: str) -> None:
    with pytest.raises(ArtifactStoreError, match="invalid artifact key"):
        store.put(key, b"x")


def test_an_unreachable_store_names_the_artifact_not_the_credentials() -> None:
    store = ObjectArtifactStore(
        "s3://floe-artifacts/prefix",
        {
            "endpoint": "http://127.0.0.1:9",  # discard port: nothing listens
            "region": "us-east-1",
            "access_key_id": "AKIDEXAMPLE",
            "secret_access_key": "very-secret-value",
            "allow_http": True,
            "connect_timeout": "1s",
        },
    )
    with pytest.raises(ArtifactStoreError) as caught:
        store.put("shop/run/result.json", b"{}")
    message = str(caught.value)
    assert "s3://floe-artifacts/prefix/shop/run/result.json" in message
    assert "very-secret-value" not in message


def test_an_unknown_option_is_reported_when_the_store_opens() -> None:
    with pytest.raises(ArtifactStoreError, match="cannot open the artifact store s3://b/p"):
        ObjectArtifactStore("s3://b/p", {"endpoint_url_typo": "http://x"})


def test_a_missing_bucket_is_named_as_such_not_as_a_missing_artifact(
    s3_options: dict[str, Any],
) -> None:
    store = ObjectArtifactStore("s3://no-such-bucket/floe", s3_options)
    for operation in (lambda: store.put("a/b.json", b"{}"), lambda: store.get("a/b.json")):
        with pytest.raises(ArtifactStoreError) as caught:
            operation()
        assert not isinstance(caught.value, ArtifactNotFoundError)
        message = "s3://no-such-bucket/floe/a/b.json: the bucket or container does not exist"
        assert message in str(caught.value)
        assert caught.value.hint == (
            "create the bucket (container) of s3://no-such-bucket/floe, or fix the manifest's `url`"
        )
