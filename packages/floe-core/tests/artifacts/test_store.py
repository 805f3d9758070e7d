from __future__ import annotations

import json
from pathlib import Path

import pytest

from floe_core import (
    DBTInvocation,
    DBTRunResult,
    GeneratedProfile,
    RunStatus,
    WarehouseError,
)
from floe_core.artifacts import ResultsStore, read_index
from floe_core.testing import ScriptedConfig, ScriptedRuntime

ONE_MODEL = ScriptedConfig(models=("a",))


@pytest.fixture
def invocation(tmp_path: Path) -> DBTInvocation:
    project = tmp_path / "project"
    project.mkdir()
    (project / "dbt_project.yml").write_text("name: shop\nprofile: floe\n")
    return DBTInvocation(project_dir=project, profile=GeneratedProfile(outputs={"dev": {}}))


def _run(store: ResultsStore, invocation: DBTInvocation, *, crash: bool) -> None:
    """Model ``a`` fails (then, with ``crash``, the warehouse goes away)."""
    runtime = ScriptedRuntime(
        ONE_MODEL.model_copy(update={"crash": "warehouse" if crash else None})
    )
    with runtime.events.subscribed(store):
        runtime.build(store.prepare(invocation.model_copy(update={"vars": {"fail": True}})))


def test_a_finished_run_keeps_result_events_dbt_artifacts_and_an_index_line(
    tmp_path: Path, invocation: DBTInvocation
) -> None:
    store = ResultsStore(tmp_path / "results")
    _run(store, invocation, crash=False)

    run_dir = tmp_path / "results" / "shop" / invocation.invocation_id
    assert store.run_dir(invocation.invocation_id) == run_dir
    result = DBTRunResult.model_validate_json((run_dir / "result.json").read_text())
    assert result.status is RunStatus.FAILED
    assert [node.unique_id for node in result.nodes] == ["model.shop.a"]
    kinds = [
        json.loads(line)["kind"] for line in (run_dir / "events.jsonl").read_text().splitlines()
    ]
    assert kinds == ["run_started", "run_planned", "node_finished", "run_finished"]
    assert (run_dir / "manifest.json").read_text() == '{"nodes": {}}'
    assert (run_dir / "run_results.json").is_file()
    assert json.loads((run_dir / "invocation.json").read_text())["project_dir"] == str(
        invocation.project_dir
    )
    [record] = read_index(tmp_path / "results", "shop")
    assert (record.invocation_id, record.failures, record.path) == (
        invocation.invocation_id,
        1,
        invocation.invocation_id,
    )
    assert not [p for p in run_dir.iterdir() if p.name.endswith(".tmp")]


def test_a_run_that_raises_still_keeps_what_it_produced(
    tmp_path: Path, invocation: DBTInvocation
) -> None:
    store = ResultsStore(tmp_path / "results")
    with pytest.raises(WarehouseError):
        _run(store, invocation, crash=True)

    run_dir = tmp_path / "results" / "shop" / invocation.invocation_id
    result = DBTRunResult.model_validate_json((run_dir / "result.json").read_text())
    assert result.status is RunStatus.ERROR
    assert "lost the warehouse" in (result.error or "")
    assert [node.unique_id for node in result.nodes] == ["model.shop.a"]
    assert (run_dir / "manifest.json").is_file()
    assert not (run_dir / "run_results.json").exists()
    assert read_index(tmp_path / "results", "shop")[0].status is RunStatus.ERROR


def test_events_are_on_disk_as_soon_as_they_are_emitted(
    tmp_path: Path, invocation: DBTInvocation
) -> None:
    store = ResultsStore(tmp_path / "results")
    runtime = ScriptedRuntime(ONE_MODEL)
    seen: list[str] = []

    def read_log_after_each_event(event: object) -> None:
        run_dir = store.run_dir(invocation.invocation_id)
        assert run_dir is not None
        seen.append((run_dir / "events.jsonl").read_text())

    with runtime.events.subscribed(store, read_log_after_each_event):
        runtime.build(store.prepare(invocation))
    assert [text.count("\n") for text in seen] == [1, 2, 3, 4]


def test_no_index_yet_means_no_runs(tmp_path: Path) -> None:
    assert read_index(tmp_path, "shop") == []
