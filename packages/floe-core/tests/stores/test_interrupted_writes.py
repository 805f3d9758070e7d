"""A writer killed mid-upload leaves nothing a reader can see: no partial object, no key."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from floe_core.stores import ArtifactNotFoundError, LocalArtifactStore, ObjectArtifactStore

KEY = "shop/run/manifest.json"

_UPLOAD = """
import json, sys
from pathlib import Path
from floe_core.stores import LocalArtifactStore, ObjectArtifactStore
spec = json.loads(sys.argv[1])
if spec["kind"] == "local":
    store = LocalArtifactStore(Path(spec["root"]))
else:
    store = ObjectArtifactStore(spec["url"], spec["options"])
store.put_file(spec["key"], Path(spec["source"]))
"""


def _start_upload(spec: dict[str, Any]) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", _UPLOAD, json.dumps(spec)])


def _kill_when(process: subprocess.Popen[bytes], condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 20
    while not condition():
        assert process.poll() is None, "the upload ended before it could be interrupted"
        assert time.monotonic() < deadline, "the upload never started"
        time.sleep(0.005)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


def test_a_killed_multipart_upload_leaves_no_object_on_s3(
    tmp_path: Path, s3_url: str, s3_options: dict[str, Any], s3_client: Any
) -> None:
    source = tmp_path / "manifest.json"
    source.write_bytes(os.urandom(30 * 1024 * 1024))
    bucket, prefix = s3_url.removeprefix("s3://").split("/", 1)
    spec = {"kind": "s3", "url": s3_url, "options": s3_options, "key": KEY, "source": str(source)}

    def upload_in_progress() -> bool:
        return bool(s3_client.list_multipart_uploads(Bucket=bucket, Prefix=prefix).get("Uploads"))

    _kill_when(_start_upload(spec), upload_in_progress)

    store = ObjectArtifactStore(s3_url, s3_options)
    assert store.list() == []
    assert not store.exists(KEY)
    with pytest.raises(ArtifactNotFoundError, match=r"shop/run/manifest\.json does not exist"):
        store.get(KEY)
    assert "Contents" not in s3_client.list_objects_v2(Bucket=bucket, Prefix=prefix)


def test_a_killed_local_write_leaves_no_file_at_the_key(tmp_path: Path) -> None:
    fifo = tmp_path / "slow-source"
    os.mkfifo(fifo)  # the writer reads it as fast as we feed it, so we can kill it midway
    root = tmp_path / "artifacts"
    spec = {"kind": "local", "root": str(root), "key": KEY, "source": str(fifo)}
    process = _start_upload(spec)
    with fifo.open("wb") as feed:
        feed.write(b"x" * 1024 * 1024)
        feed.flush()
        folder = root / "shop" / "run"
        _kill_when(process, lambda: folder.is_dir() and any(folder.iterdir()))

    store = LocalArtifactStore(root)
    assert store.list() == []
    assert not store.exists(KEY)
    with pytest.raises(ArtifactNotFoundError, match=r"shop/run/manifest\.json does not exist"):
        store.get(KEY)
