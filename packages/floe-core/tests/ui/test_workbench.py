"""The workbench over a real results store fed scripted runs (no dbt): cancelled and never-run
nodes, the comparison with the previous run, the run's files, dbt's catalog.json and
sources.json, test history and duration trends, and selections."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from floe_core import (
    DBTCommand,
    DBTInvocation,
    DBTRunResult,
    NodeResult,
    NodeStarted,
    NodeStatus,
    RunFinished,
    RunPlanned,
    RunStarted,
    RunStatus,
    events_for_result,
)
from floe_core._invocation import GeneratedProfile
from floe_core.artifacts import ResultsStore
from floe_core.stores import ArtifactNotFoundError, LocalArtifactStore
from floe_core.ui import SelectionError, Workbench

START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
MANIFEST = {
    "nodes": {
        "model.shop.a": {"name": "a", "resource_type": "model", "description": "**A**",
                         "columns": {"id": {"name": "id", "description": "key"}},
                         "depends_on": {"nodes": ["source.shop.crm.people"]}},
        "model.shop.b": {"name": "b", "resource_type": "model",
                         "depends_on": {"nodes": ["model.shop.a"]}},
        "model.shop.c": {"name": "c", "resource_type": "model",
                         "depends_on": {"nodes": ["model.shop.b"]}},
        "test.shop.not_null_a_id.1": {"name": "not_null_a_id", "resource_type": "test",
                                      "depends_on": {"nodes": ["model.shop.a"]}},
    },
    "sources": {
        "source.shop.crm.people": {"name": "people", "resource_type": "source",
                                   "depends_on": {"nodes": []}},
    },
    "exposures": {
        "exposure.shop.report": {"name": "report", "resource_type": "exposure",
                                 "depends_on": {"nodes": ["model.shop.c"]}},
    },
}  # fmt: skip
CATALOG = {
    "nodes": {
        "model.shop.a": {
            "columns": {
                "ID": {"name": "ID", "type": "INTEGER", "index": 1, "comment": None},
                "EMAIL": {"name": "EMAIL", "type": "VARCHAR", "index": 2, "comment": None},
            }
        }
    },
    "sources": {},
}
SOURCES = {
    "results": [
        {
            "unique_id": "source.shop.crm.people",
            "status": "warn",
            "max_loaded_at": "2026-11-01T10:00:00+00:00",
            "snapshotted_at": "2026-11-01T12:00:00+00:00",
            "max_loaded_at_time_ago_in_s": 7200.0,
            "criteria": {"warn_after": {"count": 1, "period": "hour"}},
        }
    ]
}


def result(name: str, status: NodeStatus, start: float, seconds: float, **extra: str) -> NodeResult:
    kind = "test" if name.startswith("not_null") else "model"
    uid = f"test.shop.{name}.1" if kind == "test" else f"model.shop.{name}"
    return NodeResult(
        unique_id=uid,
        name=name,
        resource_type=kind,
        status=status,
        started_at=START + timedelta(seconds=start),
        completed_at=START + timedelta(seconds=start + seconds),
        **extra,  # type: ignore[arg-type]
    )


class Runs:
    """Writes scripted runs into a real results store, ``minutes`` apart."""

    def __init__(self, tmp_path: Path) -> None:
        self.folder = tmp_path
        self.store = ResultsStore(tmp_path / "results")
        self.count = 0
        (tmp_path / "manifest.json").write_text(json.dumps(MANIFEST))

    def run(
        self,
        run_id: str,
        nodes: Iterable[NodeResult],
        *,
        status: RunStatus = RunStatus.SUCCESS,
        running: Iterable[str] = (),
        select: tuple[str, ...] = (),
        extra_files: dict[str, object] | None = None,
    ) -> None:
        begin = START + timedelta(minutes=self.count)
        self.count += 1
        artifacts = self.folder / run_id
        artifacts.mkdir()
        (artifacts / "manifest.json").write_text(json.dumps(MANIFEST))
        for name, content in (extra_files or {}).items():
            (artifacts / name).write_text(json.dumps(content))
        invocation = DBTInvocation(
            project_dir=self.folder,
            profile=GeneratedProfile(outputs={"dev": {"type": "duckdb"}}),
            select=select,
            invocation_id=run_id,
            target_path=artifacts,
        )
        self.store.prepare(invocation)
        self.store(
            RunStarted(invocation_id=run_id, command=DBTCommand.BUILD, runtime="scripted",
                       project_name="shop", project_dir=self.folder, started_at=begin)
        )  # fmt: skip
        planned = ("model.shop.a", "model.shop.b", "model.shop.c", "test.shop.not_null_a_id.1")
        self.store(RunPlanned(invocation_id=run_id, node_ids=planned))
        done = tuple(nodes)
        for node in done:
            for event in events_for_result(run_id, node):
                self.store(event)
        for uid in running:
            self.store(NodeStarted(invocation_id=run_id, unique_id=uid, name=uid.split(".")[-1],
                                   resource_type="model", started_at=begin))  # fmt: skip
        outcome = DBTRunResult(invocation_id=run_id, command=DBTCommand.BUILD, runtime="scripted",
                               status=status, started_at=begin,
                               completed_at=begin + timedelta(seconds=5), elapsed_seconds=5.0,
                               nodes=done, manifest_path=artifacts / "manifest.json",
                               dbt_version="1.11.0")  # fmt: skip
        self.store(RunFinished(invocation_id=run_id, result=outcome))

    def workbench(self, **options: object) -> Workbench:
        return Workbench(LocalArtifactStore(self.folder / "results"), "shop", **options)  # type: ignore[arg-type]


@pytest.fixture
def runs(tmp_path: Path) -> Runs:
    return Runs(tmp_path)


def test_a_cancelled_run_shows_the_interrupted_node_as_cancelled_and_the_rest_as_not_run(
    runs: Runs,
) -> None:
    runs.run("cut", [result("a", NodeStatus.SUCCESS, 0, 1)], status=RunStatus.CANCELLED,
             running=["model.shop.b"])  # fmt: skip
    detail = runs.workbench().run("cut")
    statuses = {node.name: node.status for node in detail.nodes}
    assert statuses == {
        "a": "success",
        "b": "cancelled",
        "c": "not_run",
        "not_null_a_id": "not_run",
    }
    assert detail.run.status == "cancelled"


def test_an_interrupted_node_reported_as_an_error_is_shown_as_cancelled(runs: Runs) -> None:
    interrupted = result("b", NodeStatus.ERROR, 1, 1, message="KeyboardInterrupt: interrupted")
    runs.run(
        "cut", [result("a", NodeStatus.SUCCESS, 0, 1), interrupted], status=RunStatus.CANCELLED
    )
    statuses = {node.name: node.status for node in runs.workbench().run("cut").nodes}
    assert statuses["b"] == "cancelled"


def test_a_run_is_compared_with_the_previous_run_of_the_same_selection(runs: Runs) -> None:
    runs.run("first", [result("a", NodeStatus.SUCCESS, 0, 1), result("b", NodeStatus.ERROR, 1, 1)])
    runs.run("other-selection", [result("a", NodeStatus.ERROR, 0, 3)], select=("a",))
    runs.run("second", [result("a", NodeStatus.ERROR, 0, 2), result("b", NodeStatus.SUCCESS, 2, 1)],
             status=RunStatus.FAILED)  # fmt: skip
    detail = runs.workbench().run("second")
    assert detail.previous is not None
    assert detail.previous.invocation_id == "first"
    assert (detail.previous.new_failures, detail.previous.fixed) == (
        ["model.shop.a"],
        ["model.shop.b"],
    )
    nodes = {node.name: node for node in detail.nodes}
    assert (nodes["a"].duration_seconds, nodes["a"].previous_seconds) == (2.0, 1.0)
    assert (nodes["a"].new_failure, nodes["b"].new_failure) == (True, False)
    assert runs.workbench().run("first").previous is None


def test_the_invocation_and_the_origin_of_the_run_are_shown(runs: Runs) -> None:
    runs.run("one", [result("a", NodeStatus.SUCCESS, 0, 1)], select=("+a", "tag:x"))
    invocation = runs.workbench().run("one").invocation
    assert invocation is not None
    assert invocation.select == ["+a", "tag:x"]
    assert invocation.dbt_version == "1.11.0"
    assert invocation.floe_version  # the results store records who ran it, where, with what
    assert invocation.runtime_metadata["host"]


def test_only_the_runs_kept_files_are_served(runs: Runs) -> None:
    runs.run("one", [result("a", NodeStatus.SUCCESS, 0, 1)])
    workbench = runs.workbench()
    body, content_type = workbench.file("one", "invocation.json")
    assert json.loads(body)["invocation_id"] == "one"
    assert content_type == "application/json"
    for name in ("catalog.json", "../one/result.json", "index.json", "dbt.log"):
        with pytest.raises(ArtifactNotFoundError):
            workbench.file("one", name)


def test_columns_take_the_warehouse_types_of_the_newest_catalog(runs: Runs) -> None:
    runs.run("docs", [], extra_files={"catalog.json": CATALOG})
    runs.run("later", [result("a", NodeStatus.SUCCESS, 0, 1)])
    model = runs.workbench().model("model.shop.a")
    assert model.catalog_run == "docs"
    assert [(c.name, c.data_type, c.description) for c in model.columns] == [
        ("id", "INTEGER", "key"),
        ("EMAIL", "VARCHAR", ""),
    ]
    assert model.model.description == "**A**"  # markdown, rendered by the page
    # Column lineage needs the model's compiled SQL, which these scripted runs do not have.
    assert all(not column.upstream for column in model.columns)
    assert (model.column_lineage_note or "").startswith("no compiled SQL yet")


def test_a_source_shows_its_newest_freshness(runs: Runs) -> None:
    runs.run("fresh", [], extra_files={"sources.json": SOURCES})
    source = runs.workbench().model("source.shop.crm.people")
    assert source.freshness is not None
    assert (source.freshness.status, source.freshness.age_seconds) == ("warn", 7200.0)
    assert source.freshness.invocation_id == "fresh"
    assert runs.workbench().model("model.shop.a").freshness is None


def test_tests_have_their_history_and_models_their_duration_trend(runs: Runs) -> None:
    runs.run(
        "one",
        [result("a", NodeStatus.SUCCESS, 0, 1), result("not_null_a_id", NodeStatus.FAIL, 1, 1)],
    )
    runs.run(
        "two",
        [result("a", NodeStatus.SUCCESS, 0, 3), result("not_null_a_id", NodeStatus.SUCCESS, 3, 1)],
    )
    model = runs.workbench().model("model.shop.a")
    [test] = model.tests
    assert test.status == "success"
    assert [(o.invocation_id, o.status) for o in test.history] == [
        ("two", "success"),
        ("one", "fail"),
    ]
    assert [(r.invocation_id, r.duration_seconds) for r in model.runs] == [
        ("one", 1.0),
        ("two", 3.0),
    ]


def test_models_list_sources_and_exposures_and_lineage_draws_tests_on_request(runs: Runs) -> None:
    runs.run("one", [result("a", NodeStatus.SUCCESS, 0, 1)])
    workbench = runs.workbench()
    kinds = {model.name: model.resource_type for model in workbench.models().models}
    assert kinds == {
        "a": "model",
        "b": "model",
        "c": "model",
        "people": "source",
        "report": "exposure",
    }
    assert "test.shop.not_null_a_id.1" not in {
        n.unique_id for n in workbench.lineage(None, 2).nodes
    }
    with_tests = workbench.lineage(None, 2, tests=True)
    assert "test.shop.not_null_a_id.1" in {n.unique_id for n in with_tests.nodes}


def test_a_selection_keeps_what_the_plan_selects_and_the_sources_it_reads(runs: Runs) -> None:
    runs.run("one", [result("a", NodeStatus.SUCCESS, 0, 1)])
    asked: list[str] = []

    def plan(expression: str) -> tuple[str, ...]:  # stands for floe's plan (tested end to end)
        asked.append(expression)
        return ("model.shop.a", "model.shop.b")

    graph = runs.workbench(select=plan).lineage(None, 2, select="+b")
    assert asked == ["+b"]
    assert {n.unique_id for n in graph.nodes} == {
        "source.shop.crm.people",
        "model.shop.a",
        "model.shop.b",
    }
    assert {(e.source, e.target) for e in graph.edges} == {
        ("source.shop.crm.people", "model.shop.a"), ("model.shop.a", "model.shop.b")}  # fmt: skip
    with pytest.raises(SelectionError, match="needs the project's runtime"):
        runs.workbench().lineage(None, 2, select="+b")
