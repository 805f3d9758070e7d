"""The runtime's artifact location as a floe-core object store, read back by reference."""

from __future__ import annotations

from pathlib import Path

import pytest

from floe_core.stores import (
    ArtifactCorruptedError,
    ArtifactNotFoundError,
    ArtifactStoreError,
    LocalArtifactStore,
)
from floe_dbt_temporal._object_store import open_object_store, read_artifact


def test_a_folder_or_file_uri_is_a_local_store(tmp_path: Path) -> None:
    for location in (tmp_path / "store", (tmp_path / "store").as_uri(), str(tmp_path / "store")):
        store = open_object_store(location)
        assert isinstance(store, LocalArtifactStore)
        assert store.url == (tmp_path / "store").as_uri()


def test_store_reads_verify_the_content_hash(tmp_path: Path) -> None:
    store = open_object_store(tmp_path / "store")
    ref = store.put("runs/r/plan.json", b"{}")
    assert ref.uri == (tmp_path / "store" / "runs" / "r" / "plan.json").as_uri()
    assert read_artifact(store, ref) == b"{}"
    assert store.list("runs/r") == ["runs/r/plan.json"]
    (tmp_path / "store" / "runs" / "r" / "plan.json").write_bytes(b"[]")
    with pytest.raises(ArtifactCorruptedError, match=r"plan\.json is corrupted"):
        read_artifact(store, ref)
    with pytest.raises(ArtifactStoreError, match=r"invalid artifact key '\.\./outside'"):
        store.put("../outside", b"x")


def test_a_reference_into_another_store_names_both(tmp_path: Path) -> None:
    ref = open_object_store(tmp_path / "client").put("runs/r/plan.json", b"{}")
    worker = open_object_store(tmp_path / "worker")
    worker.put("runs/r/plan.json", b"{}")  # same key, but not the store the ref points into
    with pytest.raises(ArtifactNotFoundError) as caught:
        read_artifact(worker, ref)
    assert "client" in str(caught.value)
    assert caught.value.hint is not None
    assert "worker" in caught.value.hint
