"""``floe ui`` follows a run on the temporal runtime as it goes (server-sent events).

The workflow's progress reaches the client's results store page by page; the workbench tails
that event log, so node events reach an open page before the run has finished.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from floe_core import DBTInvocation, GeneratedProfile
from floe_core.artifacts import ResultsStore
from floe_core.stores import LocalArtifactStore
from floe_core.ui import UIServer, Workbench
from floe_dbt_temporal import TemporalRuntime, WorkerSettings

pytestmark = [pytest.mark.slow, pytest.mark.temporal]

RUN_ID = "temporal-live"


def test_the_workbench_streams_a_temporal_run_while_it_goes(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    shop: Path,
    duckdb_profile: GeneratedProfile,
    tmp_path: Path,
) -> None:
    runtime = make_runtime()
    results = ResultsStore(tmp_path / "results")
    runtime.events.subscribe(results)
    workbench = Workbench(LocalArtifactStore(tmp_path / "results"), "shop")
    seen: list[tuple[str, bool]] = []  # (event kind, whether the run had finished by then)

    def listen(base: str) -> None:
        deadline = time.monotonic() + 120
        while httpx.get(f"{base}/api/runs/{RUN_ID}").status_code == 404:  # no event log yet
            assert time.monotonic() < deadline
            time.sleep(0.05)
        with httpx.stream("GET", f"{base}/api/runs/{RUN_ID}/events", timeout=120) as response:
            for line in response.iter_lines():
                if line.startswith("data: "):
                    kind = json.loads(line[6:]).get("kind", "end")
                    seen.append((kind, workbench.finished(RUN_ID)))

    with UIServer(workbench, poll_seconds=0.05) as server, temporal_server.worker(settings):
        listener = threading.Thread(target=listen, args=(server.url,))
        listener.start()
        result = runtime.build(
            DBTInvocation(project_dir=shop, profile=duckdb_profile, invocation_id=RUN_ID)
        )
        listener.join(60)
        detail = httpx.get(f"{server.url}/api/runs/{RUN_ID}").json()
    results.close()
    runtime.close()

    kinds = [kind for kind, _ in seen]
    assert kinds[0] == "run_started"
    assert "run_planned" in kinds
    assert kinds[-2:] == ["run_finished", "end"]
    assert kinds.count("node_finished") == len(result.nodes)
    assert any(kind == "node_finished" and not done for kind, done in seen), "nothing arrived live"
    assert detail["run"]["runtime"] == "temporal"
    assert len(detail["nodes"]) == len(result.nodes)
