"""What the workbench shows, read from the artifact store: runs, models and lineage.

Finished runs come from the run index (:class:`~floe_core.artifacts.RunHistory`); a run
still going has a folder with an ``events.jsonl`` but no index object yet, and is rebuilt
from its events. Models and lineage come from the newest run that kept dbt's manifest.json,
column types from the newest that kept a catalog.json, freshness from the newest
sources.json. Files of finished runs never change, so what is parsed from them is cached by
run id.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypeVar

import structlog

from floe_core._errors import FloeError
from floe_core._results import NodeResult
from floe_core.artifacts import RunHistory, RunRecord
from floe_core.artifacts._history import RESULT_FILE
from floe_core.artifacts._store import EVENTS_FILE
from floe_core.lineage._dbt_manifest import DbtManifest
from floe_core.stores import ArtifactCorruptedError, ArtifactNotFoundError, ArtifactStore
from floe_core.ui._cache import Cache
from floe_core.ui._catalog import CATALOG_FILE, SOURCES_FILE, Catalog, Freshness
from floe_core.ui._columns import ColumnLineage
from floe_core.ui._graph import GRAPH_TYPES, DbtGraph, manifest_parents
from floe_core.ui._modelpage import model_summary, model_test, with_origins
from floe_core.ui._models import (
    ColumnTrace,
    LineageEdge,
    LineageGraph,
    LineageNode,
    ModelColumn,
    ModelDetail,
    ModelList,
    ModelRun,
    RunDetail,
    RunList,
    RunNode,
    RunSummary,
)
from floe_core.ui._runs import (
    EventScan,
    invocation_of,
    node_seconds,
    run_detail,
    run_summary,
    scan_events,
    selection_of,
    without_sql,
)

__all__ = ["SelectionError", "Workbench", "is_run_id"]

MANIFEST_FILE = "manifest.json"
INVOCATION_FILE = "invocation.json"
LOG_FILE = "dbt.log"
SERVED_FILES = {
    INVOCATION_FILE: "application/json",
    RESULT_FILE: "application/json",
    EVENTS_FILE: "application/x-ndjson",
    MANIFEST_FILE: "application/json",
    "run_results.json": "application/json",
    CATALOG_FILE: "application/json",
    SOURCES_FILE: "application/json",
    LOG_FILE: "text/plain; charset=utf-8",
}
"""The run files the API hands out, with their content types; nothing else in a run folder."""
_log = structlog.get_logger("floe.ui")
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
_T = TypeVar("_T")

Selector = Callable[[str], Iterable[str]]
"""A dbt selection expression -> the unique ids floe's plan selects for it."""


class SelectionError(FloeError):
    """A selection the workbench cannot evaluate (no plan available, or dbt refused it)."""


def is_run_id(text: str) -> bool:
    """Whether ``text`` can be an invocation id (so never a path that leaves the store)."""
    return _RUN_ID.fullmatch(text) is not None


class Workbench:
    """Read-only views over one project's runs in ``store``.

    ``select`` evaluates a dbt selection with floe's own plan (the CLI passes the manifest's
    runtime's); without it the lineage page cannot filter by selection.
    """

    def __init__(
        self,
        store: ArtifactStore,
        project: str,
        *,
        recent_runs: int = 20,
        select: Selector | None = None,
    ) -> None:
        self.store = store
        self.project = project
        self.history = RunHistory(store)
        self.recent_runs = recent_runs
        self.select = select
        self._cache = Cache()

    def warm(self, quiet: Callable[[], None] = lambda: None) -> None:
        """Parse ahead what a visitor opens first: the newest run's page, then (once
        ``quiet`` returns: no visitor is waiting) the newest manifest for the model and
        lineage pages. Seconds on a large project, paid once; decoding a large manifest holds
        the interpreter lock, so it must not delay a page someone is waiting for."""
        try:
            newest = self.runs(limit=1).runs
            if newest:
                self.run(newest[0].invocation_id)
            quiet()
            self._graph()
        except FloeError as exc:  # the page will say it when asked
            _log.info("nothing to parse ahead", reason=str(exc))
        except Exception:  # best effort: a visitor's request would meet it again and say it
            _log.exception("parsing ahead failed")

    # -- runs ----------------------------------------------------------------------------
    def runs(self, limit: int = 50) -> RunList:
        finished = self.history.runs(self.project, last=limit)
        indexed = {record.invocation_id for record in finished}
        running = []
        for invocation_id in self._unindexed_runs(indexed):
            try:
                running.append(self._running(invocation_id).run)
            except ArtifactNotFoundError:  # its log has no run_started line (yet)
                continue
        summaries = [run_summary(record) for record in finished] + running
        summaries.sort(key=lambda run: run.started_at, reverse=True)
        return RunList(project=self.project, store=self.store.url, runs=summaries[:limit])

    def run(self, invocation_id: str) -> RunDetail:
        """The run page's data; nodes come without compiled SQL (see :meth:`run_node`)."""
        record = self._record(invocation_id)
        if record is None:
            return without_sql(self._running(invocation_id))
        return self._cache.get(
            ("run-page", record.invocation_id), lambda: without_sql(self._full_run(record))
        )

    def run_node(self, invocation_id: str, unique_id: str) -> RunNode:
        """One node of a run with everything about it (its compiled SQL too)."""
        record = self._record(invocation_id)
        detail = self._running(invocation_id) if record is None else self._full_run(record)
        for node in detail.nodes:
            if node.unique_id == unique_id:
                return node
        raise ArtifactNotFoundError(f"node {unique_id} of run {invocation_id}")

    def _full_run(self, record: RunRecord) -> RunDetail:
        return self._cache.get(("run", record.invocation_id), lambda: self._finished(record))

    def file(self, invocation_id: str, name: str) -> tuple[bytes, str]:
        """One of the run's kept files (:data:`SERVED_FILES` only) and its content type."""
        content_type = SERVED_FILES.get(name)
        record = self._record(invocation_id)
        if content_type is None or (record is not None and name not in record.files):
            raise ArtifactNotFoundError(f"{name} of run {invocation_id}")
        if record is not None:
            return self.history.read(record, name), content_type
        return self.store.get(self._key(invocation_id, name)), content_type

    def events(self, invocation_id: str, offset: int) -> tuple[list[str], int]:
        """The complete event lines of a run's log after byte ``offset``, and the new offset."""
        key = self._key(invocation_id, EVENTS_FILE)
        local = self.store.local_path(key)
        if local is not None:
            try:
                with local.open("rb") as handle:
                    handle.seek(offset)
                    data = handle.read()
            except FileNotFoundError:
                raise ArtifactNotFoundError(self.store.uri(key)) from None
        else:
            data = self.store.get(key)[offset:]
        complete = data[: data.rfind(b"\n") + 1]  # a line being written waits for next time
        lines = complete.decode("utf-8", errors="replace").splitlines()
        return [line for line in lines if line.strip()], offset + len(complete)

    def finished(self, invocation_id: str) -> bool:
        """Whether the run has written its result (its event log is complete)."""
        return self.store.exists(self._key(invocation_id, RESULT_FILE))

    # -- models and lineage --------------------------------------------------------------
    def models(self, query: str = "") -> ModelList:
        graph, manifest_run = self._graph()
        last = self._last_outcomes()
        needle = query.strip().lower()
        models = [
            model_summary(node.unique_id, graph, last)
            for node in graph.nodes.values()
            if node.resource_type in GRAPH_TYPES
            and (needle in node.name.lower() or needle in node.description.lower())
        ]
        models.sort(key=lambda model: (model.resource_type, model.name))
        return ModelList(manifest_run=manifest_run, models=models)

    def model(self, unique_id: str) -> ModelDetail:
        graph, _ = self._graph()
        node = graph.nodes.get(unique_id)
        if node is None:
            raise ArtifactNotFoundError(
                f"node {unique_id}", hint="the newest manifest.json in the store has no such node"
            )
        recent = self._recent()
        last = self._last_outcomes()
        newest = last.get(unique_id)
        catalog = self._newest(CATALOG_FILE, lambda data, where, _: Catalog(data, where))
        freshness = self._newest(SOURCES_FILE, Freshness)
        columns = (
            catalog[1].columns(unique_id, node.columns)
            if catalog
            else [ModelColumn(name=n, description=d, data_type=t) for n, d, t in node.columns]
        )
        lineage = self._column_lineage()
        columns = with_origins(columns, lineage.origins(unique_id))
        return ModelDetail(
            model=model_summary(unique_id, graph, last),
            relation_name=node.relation_name,
            columns=columns,
            tests=[
                model_test(test.unique_id, test.name, recent) for test in graph.tests_of(unique_id)
            ],
            upstream=list(node.parents),
            downstream=[c for c in graph.children.get(unique_id, []) if c in graph.nodes],
            raw_code=node.raw_code,
            compiled_code=newest[1].compiled_code if newest else None,
            column_lineage_note=lineage.note(unique_id),
            catalog_run=catalog[0] if catalog else None,
            freshness=freshness[1].by_source.get(unique_id) if freshness else None,
            runs=[
                ModelRun(
                    invocation_id=run.invocation_id,
                    started_at=run.started_at,
                    status=results[unique_id].status.value,
                    duration_seconds=node_seconds(results[unique_id]),
                )
                for run, results in recent
                if unique_id in results
            ],
        )

    def lineage(
        self, focus: str | None, depth: int, *, tests: bool = False, select: str | None = None
    ) -> LineageGraph:
        graph, _ = self._graph()
        if focus is not None and focus not in graph.nodes:
            raise ArtifactNotFoundError(
                f"node {focus}", hint="the newest manifest.json in the store has no such node"
            )
        among = graph.with_sources(self.selection(select)) if select else None
        last = self._last_outcomes()
        found = graph.lineage(focus, depth, tests=tests, among=among)
        nodes = [
            LineageNode(
                unique_id=uid,
                name=graph.nodes[uid].name,
                resource_type=graph.nodes[uid].resource_type,
                depth=hops,
                status=last[uid][1].status.value if uid in last else None,
                materialization=graph.nodes[uid].materialization,
                tags=list(graph.nodes[uid].tags),
            )
            for uid, hops in sorted(found.items())
        ]
        edges = [LineageEdge(source=s, target=t) for s, t in graph.edges(found)]
        return LineageGraph(focus=focus, depth=depth, select=select, nodes=nodes, edges=edges)

    def column_trace(self, unique_id: str, column: str) -> ColumnTrace:
        """Where ``unique_id``'s ``column`` comes from and what is computed from it."""
        graph, _ = self._graph()
        if unique_id not in graph.nodes:
            raise ArtifactNotFoundError(
                f"node {unique_id}", hint="the newest manifest.json in the store has no such node"
            )
        return self._column_lineage().trace(unique_id, column)

    def selection(self, expression: str) -> set[str]:
        """The unique ids floe's plan selects for a dbt selection expression."""
        if self.select is None:
            raise SelectionError(
                "selecting nodes needs the project's runtime to plan",
                hint="start `floe ui` from the folder of the platform manifest (or --manifest)",
            )
        try:
            return set(self.select(expression))
        except FloeError as exc:
            raise SelectionError(
                f"floe's plan could not select {expression!r}: {exc.message}",
                hint=exc.hint or "use dbt's selection syntax, e.g. +orders or tag:nightly",
            ) from exc

    # -- internals -----------------------------------------------------------------------
    def _key(self, invocation_id: str, name: str) -> str:
        if not is_run_id(invocation_id):
            raise ArtifactNotFoundError(f"run {invocation_id!r}", hint="not an invocation id")
        return f"{self.project}/{invocation_id}/{name}"

    def _record(self, invocation_id: str) -> RunRecord | None:
        """The run's index object once it finished; ``None`` while it runs (a run that
        outlives its client is indexed ``detached`` before it has a result)."""
        self._key(invocation_id, EVENTS_FILE)  # validates the id
        try:
            record = self.history.find(self.project, invocation_id)
        except ArtifactNotFoundError:
            return None
        return None if RESULT_FILE not in record.files else record

    def _unindexed_runs(self, indexed: set[str]) -> list[str]:
        """Run folders with an event log whose run has no index object (yet)."""
        keys = set(self.store.list(self.project))
        return [
            folder
            for key in keys
            if key.endswith(f"/{EVENTS_FILE}") and key.count("/") == 2
            and (folder := key.split("/")[1]) not in indexed and is_run_id(folder)
            and self._key(folder, RESULT_FILE) not in keys
        ]  # fmt: skip

    def _optional(self, record: RunRecord, name: str) -> bytes | None:
        return self.history.read(record, name) if name in record.files else None

    def _finished(self, record: RunRecord) -> RunDetail:
        result = self.history.result(record)
        lines = self.events(record.invocation_id, 0)[0] if EVENTS_FILE in record.files else []
        scan = scan_events(lines, kinds=("run_planned", "node_started"))
        summary = run_summary(record)
        invocation_data = self._optional(record, INVOCATION_FILE)
        failed = any(node.status.value in ("error", "fail", "warn") for node in result.nodes)
        log = self._optional(record, LOG_FILE) if failed or scan.running else None
        return run_detail(
            summary,
            result.nodes,
            scan,
            self._run_parents(record) if MANIFEST_FILE in record.files else None,
            error=result.error,
            files=sorted(record.files),
            invocation=invocation_of(invocation_data, result),
            log=log.decode("utf-8", errors="replace").splitlines() if log else (),
            previous=self._previous(summary, invocation_data),
        )

    def _running(self, invocation_id: str) -> RunDetail:
        lines, _ = self.events(invocation_id, 0)
        scan: EventScan = scan_events(lines)
        started, finished = scan.started, scan.finished
        if started is None:
            raise ArtifactNotFoundError(self.store.uri(self._key(invocation_id, EVENTS_FILE)))
        done = list(scan.results.values())
        summary = RunSummary(
            invocation_id=invocation_id,
            project=self.project,
            command=started.command.value,
            runtime=started.runtime,
            status=finished.status.value if finished else "running",
            started_at=started.started_at,
            completed_at=finished.completed_at if finished else None,
            elapsed_seconds=finished.elapsed_seconds if finished else None,
            nodes=len(done) + len(scan.running),
            failures=sum(1 for node in done if node.status.is_failure),
        )
        try:
            parents = {uid: node.parents for uid, node in self._graph()[0].nodes.items()}
        except ArtifactNotFoundError:
            parents = None
        try:
            invocation_data: bytes | None = self.store.get(
                self._key(invocation_id, INVOCATION_FILE)
            )
        except ArtifactNotFoundError:
            invocation_data = None
        return run_detail(
            summary,
            done,
            scan,
            parents,
            error=None,
            files=[EVENTS_FILE] + ([INVOCATION_FILE] if invocation_data else []),
            invocation=invocation_of(invocation_data, None),
            previous=self._previous(summary, invocation_data),
        )

    def _previous(
        self, summary: RunSummary, invocation_data: bytes | None
    ) -> tuple[RunSummary, dict[str, NodeResult]] | None:
        """The newest earlier run of the same command and selection, with its results."""
        wanted = selection_of(invocation_data)
        for record in reversed(self.history.runs(self.project, last=self.recent_runs)):
            if record.started_at >= summary.started_at or record.command.value != summary.command:
                continue
            if selection_of(self._optional(record, INVOCATION_FILE)) == wanted:
                return run_summary(record), self._results(record)
        return None

    def _results(self, record: RunRecord) -> dict[str, NodeResult]:
        def load() -> dict[str, NodeResult]:
            return {node.unique_id: node for node in self.history.result(record).nodes}

        return self._cache.get(("results", record.invocation_id), load)

    def _recent(self) -> list[tuple[RunSummary, dict[str, NodeResult]]]:
        """The recent finished runs with their results, oldest first."""
        return [
            (run_summary(record), self._results(record))
            for record in self.history.runs(self.project, last=self.recent_runs)
        ]

    def _last_outcomes(self) -> dict[str, tuple[str, NodeResult]]:
        """Each node's newest outcome among the recent runs, with the run that had it."""
        last: dict[str, tuple[str, NodeResult]] = {}
        for run, results in self._recent():
            for uid, node in results.items():
                last[uid] = (run.invocation_id, node)
        return last

    def _newest(self, name: str, parse: Callable[[bytes, str, str], _T]) -> tuple[str, _T] | None:
        """``name`` parsed from the newest recent run that kept it, with that run's id."""
        for record in reversed(self.history.runs(self.project, last=self.recent_runs)):
            if name in record.files:

                def load(record: RunRecord = record) -> _T:
                    where = self.store.uri(f"{record.project}/{record.path}/{name}")
                    return parse(self.history.read(record, name), where, record.invocation_id)

                return record.invocation_id, self._cache.get((name, record.invocation_id), load)
        return None

    def _run_parents(self, record: RunRecord) -> dict[str, tuple[str, ...]]:
        """Each node's parents in the run's own manifest.json (its waits, critical path)."""
        where = self.store.uri(f"{record.project}/{record.path}/{MANIFEST_FILE}")
        return manifest_parents(self.history.read(record, MANIFEST_FILE), where)

    def _column_lineage(self) -> ColumnLineage:
        """Column lineage over the newest manifest, with each model's newest compiled SQL."""
        (_, manifest), manifest_run = self._manifest()
        last = self._last_outcomes()

        def compiled(unique_id: str) -> str | None:
            newest = last.get(unique_id)
            return newest[1].compiled_code if newest else None

        return self._cache.get(
            ("column-lineage", manifest_run), lambda: ColumnLineage(manifest, compiled)
        )

    def _graph(self) -> tuple[DbtGraph, str]:
        """The graph of the newest run that kept a manifest.json, and that run's id."""
        (graph, _), manifest_run = self._manifest()
        return graph, manifest_run

    def _manifest(self) -> tuple[tuple[DbtGraph, DbtManifest], str]:
        """The newest kept manifest.json as a graph and as lineage reads it (decoded once:
        most of the cost on a large project), and the id of its run."""
        found = self._newest(MANIFEST_FILE, _parse_manifest)
        if found is None:
            raise ArtifactNotFoundError(
                self.store.uri(f"{self.project}/*/{MANIFEST_FILE}"),
                hint=f"none of the newest {self.recent_runs} runs kept dbt's manifest.json",
            )
        return found[1], found[0]


def _parse_manifest(data: bytes, where: str, _: str) -> tuple[DbtGraph, DbtManifest]:
    try:
        raw = json.loads(data)
    except ValueError as exc:
        raise ArtifactCorruptedError(where, f"not a dbt manifest.json: {exc}") from exc
    graph = DbtGraph.from_json(raw, where)  # checks the shape
    return graph, DbtManifest.from_json(raw, Path(where))
