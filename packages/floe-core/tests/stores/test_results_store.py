"""Run results kept in object storage: written by one process, listed and read by another."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from floe_core import (
    DBTCommand,
    NodeFinished,
    NodeResult,
    NodeStatus,
    RunStarted,
    RunStatus,
)
from floe_core.artifacts import ResultsStore, RunHistory
from floe_core.manifest import RetentionConfig
from floe_core.stores import (
    ArtifactCorruptedError,
    ArtifactNotFoundError,
    ArtifactStore,
    ObjectArtifactStore,
)

START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def test_a_run_written_to_s3_is_listed_and_read_from_another_process(
    s3_url: str, s3_options: dict[str, Any], tmp_path: Path, play_run: Callable[..., str]
) -> None:
    writer = ResultsStore(ObjectArtifactStore(s3_url, s3_options))
    invocation_id = play_run(writer, START, artifacts_dir=tmp_path)

    # another machine: a new client on the same bucket, sharing nothing else
    history = RunHistory(ObjectArtifactStore(s3_url, s3_options))
    [record] = history.runs("shop")
    assert (record.invocation_id, record.status, record.failures) == (
        invocation_id,
        RunStatus.FAILED,
        1,
    )
    assert sorted(record.files) == [
        "events.jsonl",
        "invocation.json",
        "manifest.json",
        "result.json",
    ]
    assert history.find("shop", invocation_id[:8]) == record
    assert [node.unique_id for node in history.result(record).nodes] == ["model.shop.a"]
    events = history.read(record, "events.jsonl").decode().splitlines()
    assert len(events) == 3
    assert history.read(record, "manifest.json") == b'{"nodes": {}}'
    assert writer.run_dir(invocation_id) is None  # nothing of it stayed on this machine


def test_two_writers_on_one_bucket_never_lose_each_others_runs(
    s3_url: str, s3_options: dict[str, Any], play_run: Callable[..., str]
) -> None:
    writers = [ResultsStore(ObjectArtifactStore(s3_url, s3_options)) for _ in range(2)]
    written: list[str] = []

    def write_runs(writer: ResultsStore, offset: int) -> None:
        for index in range(5):
            written.append(play_run(writer, START + timedelta(minutes=2 * index + offset)))

    threads = [threading.Thread(target=write_runs, args=(w, i)) for i, w in enumerate(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    runs = RunHistory(writers[0].store).runs("shop")
    assert sorted(run.invocation_id for run in runs) == sorted(written)
    assert [run.started_at for run in runs] == sorted(run.started_at for run in runs)


def test_retention_keeps_the_newest_runs_and_drops_old_ones(
    store: ArtifactStore, play_run: Callable[..., str]
) -> None:
    writer = ResultsStore(store, retention=RetentionConfig(keep_last=2))
    ids = [play_run(writer, START + timedelta(hours=hour)) for hour in range(4)]

    assert [run.invocation_id for run in RunHistory(store).runs("shop")] == ids[2:]
    assert not store.list(f"shop/{ids[0]}")

    expired = RunHistory(store).prune(
        "shop", RetentionConfig(keep_days=1), now=START + timedelta(days=1, hours=2, minutes=30)
    )
    assert expired == [ids[2]]
    assert [run.invocation_id for run in RunHistory(store).runs("shop")] == [ids[3]]


def test_a_corrupted_or_missing_run_file_is_named(
    store: ArtifactStore, play_run: Callable[..., str]
) -> None:
    writer = ResultsStore(store)
    invocation_id = play_run(writer, START)
    history = RunHistory(store)
    record = history.find("shop", invocation_id)

    store.put(f"shop/{invocation_id}/result.json", b'{"invocation_id": "x"')
    with pytest.raises(ArtifactCorruptedError, match=rf"shop/{invocation_id}/result\.json"):
        history.result(record)

    store.delete([f"shop/{invocation_id}/result.json"])
    with pytest.raises(ArtifactNotFoundError, match=rf"shop/{invocation_id}/result\.json"):
        history.result(record)

    with pytest.raises(ArtifactNotFoundError, match="floe runs list") as caught:
        history.find("shop", "no-such-run")
    assert "no-such-run" in str(caught.value)


def test_a_running_invocation_s_events_reach_the_store_before_it_ends(
    s3_url: str, s3_options: dict[str, Any]
) -> None:
    store = ObjectArtifactStore(s3_url, s3_options)
    writer = ResultsStore(store, sync_seconds=0.05)
    started = RunStarted(
        invocation_id="run-1",
        command=DBTCommand.RUN,
        runtime="scripted",
        project_name="shop",
        project_dir=Path("/nowhere"),
        started_at=START,
    )
    node = NodeResult(
        unique_id="model.shop.a", name="a", resource_type="model", status=NodeStatus.SUCCESS
    )
    writer(started)
    writer(NodeFinished(invocation_id="run-1", result=node))

    deadline = time.monotonic() + 10
    while not store.exists("shop/run-1/events.jsonl"):
        assert time.monotonic() < deadline, "the event log was not uploaded during the run"
        time.sleep(0.02)
    assert len(store.get("shop/run-1/events.jsonl").splitlines()) == 2

    writer.close()  # the client stops without a RunFinished: what it saw is kept
    assert len(store.get("shop/run-1/events.jsonl").splitlines()) == 2
