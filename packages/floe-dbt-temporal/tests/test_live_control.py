"""Live control of a running temporal run: its memo read by ``floe runs show``, the
``fail_fast`` update from ``floe runs fail-fast``, the DbtSelector and static search
attributes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from floe_core import (
    ConfigError,
    DBTInvocation,
    DBTRunResult,
    GeneratedProfile,
    LiveStatus,
    NodeStatus,
    RunHandle,
    RunStatus,
)
from floe_core.artifacts import ResultsStore
from floe_core.cli import cli
from floe_dbt_temporal import TemporalRuntime, WorkerSettings
from floe_dbt_temporal._search_attributes import register_search_attributes

pytestmark = [pytest.mark.slow, pytest.mark.temporal]

RUN_ID = "temporal-live-control"

# Holds the run open until the test creates the release file (dbt-duckdb Python model).
_GATE = """\
import time
from pathlib import Path


def model(dbt, session):
    release = Path({release!r})
    deadline = time.monotonic() + 90
    while not release.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    return session.sql("select 1 as id")
"""


def _wait_for(read: Callable[[], LiveStatus], done: Callable[[LiveStatus], bool]) -> LiveStatus:
    deadline = time.monotonic() + 90
    live: LiveStatus | ConfigError | None = None
    while True:
        try:
            live = read()
        except ConfigError as exc:  # the client has not started the workflow yet
            live = exc
        if isinstance(live, LiveStatus) and done(live):
            return live
        assert time.monotonic() < deadline, f"timed out; last status {live}"
        time.sleep(0.1)


def _floe_cli(manifest: Path) -> Callable[..., str]:
    """``floe <args> --manifest <manifest> --project dag`` through the CLI; its output."""

    def floe(*args: str) -> str:
        shown = CliRunner().invoke(cli, [*args, "--manifest", str(manifest), "--project", "dag"])
        assert shown.exit_code == 0, shown.output
        return shown.output

    return floe


def test_a_running_run_shows_its_nodes_and_takes_fail_fast_on(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    dag_project: Path,
    duckdb_profile: GeneratedProfile,
    tmp_path: Path,
    client_manifest: Callable[[Path, Path], Path],
) -> None:
    release = tmp_path / "release"
    models = dag_project / "models"
    (models / "gate.py").write_text(_GATE.format(release=str(release)), encoding="utf-8")
    (models / "after_gate.sql").write_text("select * from {{ ref('gate') }}", encoding="utf-8")
    client = temporal_server.env.client
    assert temporal_server.loop.run(register_search_attributes(client, "default", ["FloeTeam"]))
    runtime = make_runtime(static_search_attributes={"FloeTeam": "analytics"})
    results = ResultsStore(tmp_path / "results")
    runtime.events.subscribe(results)
    manifest = client_manifest(dag_project, Path(duckdb_profile.outputs["dev"]["path"]))
    invocation = DBTInvocation(
        project_dir=dag_project,
        profile=duckdb_profile,
        invocation_id=RUN_ID,
        select=("gate+", "broken"),
    )
    handle = RunHandle(runtime="temporal", external_id=f"floe-{RUN_ID}")
    box: dict[str, DBTRunResult] = {}

    floe = _floe_cli(manifest)

    with temporal_server.worker(settings):
        build = threading.Thread(target=lambda: box.update(result=runtime.build(invocation)))
        build.start()
        try:
            live = _wait_for(
                lambda: runtime.live_status(handle), lambda s: s.counts.get("error") == 1
            )
            # broken failed, gate holds the run open: after_gate is still to come.
            assert live.running
            assert live.fail_fast is False
            assert live.total == 3
            assert live.counts["running"] == 1
            assert [n.unique_id for n in live.recent if n.status is NodeStatus.ERROR] == [
                "model.dag.broken"
            ]
            assert any("ERROR model.dag.broken" in line for line in live.log), live.log

            shown = floe("runs", "show", RUN_ID)
            assert "still running: 1 error, 1 running of 3 nodes; fail-fast off" in shown
            assert "model.dag.broken: " in shown
            assert "broken on purpose" in shown

            assert f"run {RUN_ID}: fail-fast on" in floe("runs", "fail-fast", RUN_ID, "on")
            # A failure had happened: nothing more is scheduled, after_gate is skipped now.
            after = runtime.live_status(handle)
            assert after.fail_fast is True
            assert after.counts["skipped"] == 1
            assert after.recent[-1].unique_id == "model.dag.after_gate"
            assert after.recent[-1].message == "fail-fast: stopped after a failure"
            with pytest.raises(ConfigError, match="cannot resume"):
                runtime.set_fail_fast(handle, False)

            async def attributes() -> dict[str, Any]:
                description = await client.get_workflow_handle(handle.external_id).describe()
                return {p.key.name: p.value for p in description.typed_search_attributes}

            tags = temporal_server.loop.run(attributes())
            assert tags["DbtSelector"] == "gate+ broken"
            assert tags["FloeTeam"] == "analytics"
        finally:
            release.touch()
            build.join(120)
    results.close()

    result = box["result"]
    assert result.status is RunStatus.FAILED
    skipped = result.node("model.dag.after_gate")
    assert skipped.status is NodeStatus.SKIPPED
    assert "fail-fast" in (skipped.message or "")
    assert result.node("model.dag.gate").status is NodeStatus.SUCCESS  # running ones finish
    ended = runtime.live_status(handle)
    assert (ended.running, ended.status) == (False, "failed")
    assert ended.counts == {"success": 1, "error": 1, "skipped": 1}


def test_fail_fast_turned_off_in_a_running_run_lets_independent_nodes_run(
    temporal_server: Any,
    settings: WorkerSettings,
    make_runtime: Callable[..., TemporalRuntime],
    dag_project: Path,
    duckdb_profile: GeneratedProfile,
    tmp_path: Path,
    client_manifest: Callable[[Path, Path], Path],
) -> None:
    """Started with fail-fast on; ``floe runs fail-fast ID off`` while two gates hold the run;
    then ``doomed`` fails and the run goes on: ``after_b`` becomes ready only after that
    failure and still runs (fail-fast on would skip it), only ``doomed``'s child is skipped."""
    run_id = "temporal-fail-fast-off"
    models = dag_project / "models"
    releases = {name: tmp_path / f"release-{name}" for name in ("a", "b")}
    for name, release in releases.items():
        (models / f"gate_{name}.py").write_text(
            _GATE.format(release=str(release)), encoding="utf-8"
        )
    (models / "doomed.sql").write_text(
        "{%- if execute -%}{{ exceptions.raise_compiler_error('doomed on purpose') }}"
        "{%- endif -%}\nselect * from {{ ref('gate_a') }}",
        encoding="utf-8",
    )
    (models / "doomed_child.sql").write_text("select * from {{ ref('doomed') }}")
    (models / "after_b.sql").write_text("select * from {{ ref('gate_b') }}", encoding="utf-8")
    runtime = make_runtime()
    results = ResultsStore(tmp_path / "results")
    runtime.events.subscribe(results)
    manifest = client_manifest(dag_project, Path(duckdb_profile.outputs["dev"]["path"]))
    invocation = DBTInvocation(
        project_dir=dag_project,
        profile=duckdb_profile,
        invocation_id=run_id,
        select=("gate_a+", "gate_b+"),
        fail_fast=True,
    )
    handle = RunHandle(runtime="temporal", external_id=f"floe-{run_id}")
    box: dict[str, DBTRunResult] = {}

    floe = _floe_cli(manifest)

    with temporal_server.worker(settings):
        build = threading.Thread(target=lambda: box.update(result=runtime.build(invocation)))
        build.start()
        try:
            live = _wait_for(
                lambda: runtime.live_status(handle), lambda s: s.counts.get("running") == 2
            )
            assert live.fail_fast is True  # from the invocation
            assert live.total == 5
            assert "fail-fast on" in floe("runs", "show", run_id)

            assert f"run {run_id}: fail-fast off" in floe("runs", "fail-fast", run_id, "off")
            assert runtime.live_status(handle).fail_fast is False
            releases["a"].touch()
            failed = _wait_for(
                lambda: runtime.live_status(handle), lambda s: s.counts.get("error") == 1
            )
            # doomed failed, its child is skipped; gate_b still holds the run open.
            assert failed.running
            assert failed.counts == {"success": 1, "error": 1, "skipped": 1, "running": 1}
            assert "fail-fast off" in floe("runs", "show", run_id)
        finally:
            for release in releases.values():
                release.touch()
            build.join(120)
    results.close()

    result = box["result"]
    assert result.status is RunStatus.FAILED
    statuses = {n.unique_id.removeprefix("model.dag."): n.status for n in result.nodes}
    assert statuses == {
        "gate_a": NodeStatus.SUCCESS,
        "doomed": NodeStatus.ERROR,
        "doomed_child": NodeStatus.SKIPPED,
        "gate_b": NodeStatus.SUCCESS,
        "after_b": NodeStatus.SUCCESS,  # ready only after the failure: ran
    }
    assert "fail-fast" not in (result.node("model.dag.doomed_child").message or "")
    # The stored record (what `floe runs show` reads once the run has ended) agrees.
    stored = DBTRunResult.model_validate_json(floe("runs", "show", run_id, "--json"))
    assert {n.unique_id: n.status for n in stored.nodes} == {
        n.unique_id: n.status for n in result.nodes
    }
    ended = runtime.live_status(handle)
    assert (ended.running, ended.status, ended.fail_fast) == (False, "failed", False)
