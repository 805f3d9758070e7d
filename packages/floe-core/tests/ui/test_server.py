"""The workbench server on loopback over a real results store fed a scripted run (no dbt).

Covers what the end-to-end tests in tests/ui cannot reach cheaply: tokens and binding, a
failed run's critical path and skipped nodes, live tailing of a run still going, and a
store without runs or manifest.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from floe_core import (
    ConfigError,
    DBTCommand,
    DBTRunResult,
    NodeFinished,
    NodeResult,
    NodeSkipped,
    NodeStarted,
    NodeStatus,
    RunFinished,
    RunStarted,
    RunStatus,
)
from floe_core.artifacts import ResultsStore
from floe_core.stores import LocalArtifactStore
from floe_core.ui import UIServer, Workbench

START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
# a -> b, a -> c, (b, c) -> d: c fails last, so d is skipped and a -> c decided the run's end.
MANIFEST = {
    "nodes": {
        "model.shop.a": {"name": "a", "resource_type": "model", "depends_on": {"nodes": []}},
        "model.shop.b": {"name": "b", "resource_type": "model",
                         "depends_on": {"nodes": ["model.shop.a"]}},
        "model.shop.c": {"name": "c", "resource_type": "model",
                         "depends_on": {"nodes": ["model.shop.a"]}},
        "model.shop.d": {"name": "d", "resource_type": "model",
                         "depends_on": {"nodes": ["model.shop.b", "model.shop.c"]}},
    },
    "sources": {},
}  # fmt: skip


def node(name: str, status: NodeStatus, start: float = 0, end: float = 0) -> NodeResult:
    timed = status is not NodeStatus.SKIPPED
    return NodeResult(
        unique_id=f"model.shop.{name}",
        name=name,
        resource_type="model",
        status=status,
        started_at=START + timedelta(seconds=start) if timed else None,
        completed_at=START + timedelta(seconds=end) if timed else None,
        message="boom" if status is NodeStatus.ERROR else None,
    )


NODES = (
    node("a", NodeStatus.SUCCESS, 0, 1),
    node("b", NodeStatus.SUCCESS, 1, 3),
    node("c", NodeStatus.ERROR, 1, 4),
    node("d", NodeStatus.SKIPPED),
)


def started(invocation_id: str) -> RunStarted:
    return RunStarted(
        invocation_id=invocation_id,
        command=DBTCommand.BUILD,
        runtime="scripted",
        project_name="shop",
        project_dir=Path("/nowhere"),
        started_at=START,
    )


def finished(invocation_id: str, manifest: Path | None) -> RunFinished:
    result = DBTRunResult(
        invocation_id=invocation_id,
        command=DBTCommand.BUILD,
        runtime="scripted",
        status=RunStatus.FAILED,
        started_at=START,
        completed_at=START + timedelta(seconds=4),
        elapsed_seconds=4.0,
        nodes=NODES,
        manifest_path=manifest,
    )
    return RunFinished(invocation_id=invocation_id, result=result)


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """A store holding one finished, failed run ``failed-run`` with its manifest.json."""
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(MANIFEST))
    writer = ResultsStore(tmp_path / "results")
    writer(started("failed-run"))
    for result in NODES:
        event = NodeSkipped if result.status is NodeStatus.SKIPPED else NodeFinished
        writer(event(invocation_id="failed-run", result=result))
    writer(finished("failed-run", manifest))
    writer.close()
    return tmp_path / "results"


@pytest.fixture
def server(results: Path) -> Iterator[UIServer]:
    with UIServer(Workbench(LocalArtifactStore(results), "shop"), poll_seconds=0.02) as server:
        yield server


def test_a_failed_run_shows_the_chain_that_decided_its_end_and_skipped_nodes(
    server: UIServer,
) -> None:
    detail = httpx.get(f"{server.url}/api/runs/failed-run").json()
    assert detail["critical_path"] == ["model.shop.a", "model.shop.c"]
    nodes = {n["name"]: n for n in detail["nodes"]}
    assert [n["name"] for n in detail["nodes"]] == ["a", "b", "c", "d"]  # skipped last
    assert nodes["d"]["status"] == "skipped"
    assert nodes["d"]["depends_on"] == ["model.shop.b", "model.shop.c"]
    assert (nodes["a"]["critical"], nodes["b"]["critical"]) == (True, False)
    assert nodes["c"]["result"]["message"] == "boom"
    assert detail["run"]["skipped"] == 1
    assert detail["run"]["failures"] == 1


def test_off_loopback_a_token_is_required_and_then_checked_on_every_api_call(
    results: Path,
) -> None:
    workbench = Workbench(LocalArtifactStore(results), "shop")
    with pytest.raises(ConfigError, match="without a token") as refused:
        UIServer(workbench, host="0.0.0.0")
    assert "--token" in (refused.value.hint or "")

    with UIServer(workbench, host="0.0.0.0", token="s3cret") as server:
        url = server.url.replace("0.0.0.0", "127.0.0.1")
        assert httpx.get(f"{url}/api/runs").status_code == 401
        wrong = {"Authorization": "Bearer nope"}
        assert httpx.get(f"{url}/api/runs", headers=wrong).status_code == 401
        right = {"Authorization": "Bearer s3cret"}
        assert httpx.get(f"{url}/api/runs", headers=right).status_code == 200
        assert httpx.get(f"{url}/api/runs", params={"token": "s3cret"}).status_code == 200
        assert httpx.get(f"{url}/").status_code == 200  # the page itself holds no data


def test_a_run_in_progress_is_listed_as_running_and_its_events_stream_as_written(
    tmp_path: Path,
) -> None:
    writer = ResultsStore(tmp_path / "results")
    writer(started("live-run"))
    workbench = Workbench(LocalArtifactStore(tmp_path / "results"), "shop")
    with UIServer(workbench, poll_seconds=0.02) as server:
        [run] = httpx.get(f"{server.url}/api/runs").json()["runs"]
        assert (run["invocation_id"], run["status"]) == ("live-run", "running")

        received: list[str] = []
        connected = threading.Event()

        def listen() -> None:
            with httpx.stream("GET", f"{server.url}/api/runs/live-run/events") as response:
                for line in response.iter_lines():
                    connected.set()
                    if line.startswith("data: "):
                        received.append(json.loads(line[6:]).get("kind", "end"))

        listener = threading.Thread(target=listen)
        listener.start()
        assert connected.wait(10)
        writer(
            NodeStarted(
                invocation_id="live-run",
                unique_id="model.shop.a",
                name="a",
                resource_type="model",
                started_at=START,
            )
        )
        running = httpx.get(f"{server.url}/api/runs/live-run").json()
        assert [(n["name"], n["status"]) for n in running["nodes"]] == [("a", "running")]
        writer(NodeFinished(invocation_id="live-run", result=NODES[0]))
        writer(finished("live-run", None))
        listener.join(10)
        assert not listener.is_alive(), "the stream did not end after run_finished"
    writer.close()
    assert received == ["run_started", "node_started", "node_finished", "run_finished", "end"]


def test_an_empty_store_lists_no_runs_and_says_why_there_are_no_models(tmp_path: Path) -> None:
    # A run that has just opened its event log has nothing to show yet.
    (tmp_path / "shop" / "just-opened").mkdir(parents=True)
    (tmp_path / "shop" / "just-opened" / "events.jsonl").touch()
    with UIServer(Workbench(LocalArtifactStore(tmp_path), "shop")) as server:
        assert httpx.get(f"{server.url}/api/runs").json()["runs"] == []
        models = httpx.get(f"{server.url}/api/models")
        assert models.status_code == 404
        assert "none of the newest 20 runs kept dbt's manifest.json" in models.json()["error"]
        assert httpx.get(f"{server.url}/api/runs/missing").status_code == 404


def test_a_stream_resumed_after_the_last_event_ends_at_once(server: UIServer) -> None:
    url = f"{server.url}/api/runs/failed-run/events"
    with httpx.stream("GET", url) as response:
        last_id = [line for line in response.iter_lines() if line.startswith("id: ")][-1][4:]
    resumed = httpx.get(url, headers={"Last-Event-ID": last_id}, timeout=5)
    assert resumed.text == "event: end\ndata: {}\n\n"
    garbage = httpx.get(url, headers={"Last-Event-ID": "-5"}, timeout=5)
    assert garbage.text.startswith("data: ")  # from the start again


def test_a_corrupted_manifest_is_an_error_naming_it(results: Path) -> None:
    (results / "shop" / "failed-run" / "manifest.json").write_text("{}")
    with UIServer(Workbench(LocalArtifactStore(results), "shop")) as server:
        answer = httpx.get(f"{server.url}/api/models")
    assert answer.status_code == 500
    assert "shop/failed-run/manifest.json is corrupted" in answer.json()["error"]
