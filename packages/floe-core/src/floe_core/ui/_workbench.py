"""What the workbench shows, read from the artifact store: runs, models and lineage.

Finished runs come from the run index (:class:`~floe_core.artifacts.RunHistory`); a run
still going has a folder with an ``events.jsonl`` but no index object yet, and is rebuilt
from its events. Models and lineage come from the newest run that kept dbt's manifest.json.
Files of finished runs never change, so what is parsed from them is cached by run id.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from pydantic import TypeAdapter, ValidationError

from floe_core._events import (
    FloeEvent,
    NodeFinished,
    NodeSkipped,
    NodeStarted,
    RunFinished,
    RunStarted,
)
from floe_core._results import DBTRunResult, NodeResult, NodeStatus
from floe_core.artifacts import RunHistory, RunRecord
from floe_core.artifacts._history import RESULT_FILE
from floe_core.artifacts._store import EVENTS_FILE
from floe_core.stores import ArtifactNotFoundError, ArtifactStore
from floe_core.ui._graph import GRAPH_TYPES, DbtGraph, critical_path
from floe_core.ui._models import (
    LineageEdge,
    LineageGraph,
    LineageNode,
    ModelColumn,
    ModelDetail,
    ModelList,
    ModelSummary,
    ModelTest,
    RunDetail,
    RunList,
    RunNode,
    RunSummary,
)

__all__ = ["Workbench", "is_run_id"]

MANIFEST_FILE = "manifest.json"
_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}")
_EVENT = TypeAdapter[FloeEvent](FloeEvent)
_T = TypeVar("_T")


def is_run_id(text: str) -> bool:
    """Whether ``text`` can be an invocation id (so never a path that leaves the store)."""
    return _RUN_ID.fullmatch(text) is not None


class _Cache:
    """A small thread-safe LRU of things parsed from immutable run files."""

    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[tuple[str, str], object] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, key: tuple[str, str], load: Callable[[], _T]) -> _T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]  # type: ignore[return-value]
        value = load()
        with self._lock:
            self._items[key] = value
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value


class Workbench:
    """Read-only views over one project's runs in ``store``."""

    def __init__(self, store: ArtifactStore, project: str, *, recent_runs: int = 20) -> None:
        self.store = store
        self.project = project
        self.history = RunHistory(store)
        self.recent_runs = recent_runs
        self._cache = _Cache()

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
        summaries = [_summary(record) for record in finished] + running
        summaries.sort(key=lambda run: run.started_at, reverse=True)
        return RunList(project=self.project, store=self.store.url, runs=summaries[:limit])

    def run(self, invocation_id: str) -> RunDetail:
        record = self._record(invocation_id)
        if record is None:
            return self._running(invocation_id)
        return self._cache.get(("run", record.invocation_id), lambda: self._finished(record))

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
        statuses = self._last_statuses()
        needle = query.strip().lower()
        models = [
            _model_summary(node.unique_id, graph, statuses)
            for node in graph.nodes.values()
            if node.resource_type in GRAPH_TYPES - {"source"}
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
        statuses = self._last_statuses()
        last = statuses.get(unique_id)
        return ModelDetail(
            model=_model_summary(unique_id, graph, statuses),
            relation_name=node.relation_name,
            columns=[ModelColumn(name=n, description=d, data_type=t) for n, d, t in node.columns],
            tests=[
                ModelTest(
                    unique_id=test.unique_id,
                    name=test.name,
                    status=statuses[test.unique_id][1].status
                    if test.unique_id in statuses
                    else None,
                )
                for test in graph.tests_of(unique_id)
            ],
            upstream=list(node.parents),
            downstream=[c for c in graph.children.get(unique_id, []) if c in graph.nodes],
            raw_code=node.raw_code,
            compiled_code=last[1].result.compiled_code if last and last[1].result else None,
        )

    def lineage(self, focus: str | None, depth: int) -> LineageGraph:
        graph, _ = self._graph()
        if focus is not None and focus not in graph.nodes:
            raise ArtifactNotFoundError(
                f"node {focus}", hint="the newest manifest.json in the store has no such node"
            )
        statuses = self._last_statuses()
        found = graph.lineage(focus, depth)
        nodes = [
            LineageNode(
                unique_id=uid,
                name=graph.nodes[uid].name,
                resource_type=graph.nodes[uid].resource_type,
                depth=hops,
                status=statuses[uid][1].status if uid in statuses else None,
            )
            for uid, hops in sorted(found.items())
        ]
        edges = [LineageEdge(source=s, target=t) for s, t in graph.edges(found)]
        return LineageGraph(focus=focus, depth=depth, nodes=nodes, edges=edges)

    # -- internals -----------------------------------------------------------------------
    def _key(self, invocation_id: str, name: str) -> str:
        if not is_run_id(invocation_id):
            raise ArtifactNotFoundError(f"run {invocation_id!r}", hint="not an invocation id")
        return f"{self.project}/{invocation_id}/{name}"

    def _record(self, invocation_id: str) -> RunRecord | None:
        self._key(invocation_id, EVENTS_FILE)  # validates the id
        try:
            return self.history.find(self.project, invocation_id)
        except ArtifactNotFoundError:
            return None

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

    def _finished(self, record: RunRecord) -> RunDetail:
        result = self.history.result(record)
        parents = self._run_parents(record)
        return _detail(_summary(record), result.nodes, {}, parents, result.error, record)

    def _running(self, invocation_id: str) -> RunDetail:
        lines, _ = self.events(invocation_id, 0)
        started: RunStarted | None = None
        running: dict[str, NodeStarted] = {}
        results: dict[str, NodeResult] = {}
        finished: DBTRunResult | None = None
        for line in lines:
            try:
                event = _EVENT.validate_json(line)
            except ValidationError:
                continue  # a line from a newer floe: show what this one understands
            if isinstance(event, RunStarted):
                started = event
            elif isinstance(event, NodeStarted):
                running[event.unique_id] = event
            elif isinstance(event, NodeFinished | NodeSkipped):
                results[event.result.unique_id] = event.result
                running.pop(event.result.unique_id, None)
            elif isinstance(event, RunFinished):
                finished = event.result
        if started is None:
            raise ArtifactNotFoundError(self.store.uri(self._key(invocation_id, EVENTS_FILE)))
        done = list(results.values())
        summary = RunSummary(
            invocation_id=invocation_id,
            project=self.project,
            command=started.command.value,
            runtime=started.runtime,
            status=finished.status.value if finished else "running",
            started_at=started.started_at,
            completed_at=finished.completed_at if finished else None,
            elapsed_seconds=finished.elapsed_seconds if finished else None,
            nodes=len(done) + len(running),
            failures=sum(1 for node in done if node.status.is_failure),
            skipped=sum(1 for node in done if node.status is NodeStatus.SKIPPED),
        )
        try:
            graph = self._graph()[0]
            parents = {uid: list(node.parents) for uid, node in graph.nodes.items()}
        except ArtifactNotFoundError:
            parents = {}
        return _detail(summary, done, running, parents, None, None)

    def _run_parents(self, record: RunRecord) -> dict[str, list[str]]:
        if MANIFEST_FILE not in record.files:
            return {}
        graph = self._run_graph(record)
        return {uid: list(node.parents) for uid, node in graph.nodes.items()}

    def _run_graph(self, record: RunRecord) -> DbtGraph:
        def load() -> DbtGraph:
            data = self.history.read(record, MANIFEST_FILE)
            where = self.store.uri(f"{record.project}/{record.path}/{MANIFEST_FILE}")
            return DbtGraph.from_manifest(data, where)

        return self._cache.get(("graph", record.invocation_id), load)

    def _graph(self) -> tuple[DbtGraph, str]:
        """The graph of the newest run that kept a manifest.json, and that run's id."""
        for record in reversed(self.history.runs(self.project, last=self.recent_runs)):
            if MANIFEST_FILE in record.files:
                return self._run_graph(record), record.invocation_id
        raise ArtifactNotFoundError(
            self.store.uri(f"{self.project}/*/{MANIFEST_FILE}"),
            hint=f"none of the newest {self.recent_runs} runs kept dbt's manifest.json",
        )

    def _last_statuses(self) -> dict[str, tuple[str, RunNode]]:
        """Each node's newest outcome among the recent runs, with the run that had it."""
        statuses: dict[str, tuple[str, RunNode]] = {}
        for record in self.history.runs(self.project, last=self.recent_runs):
            for node in self.run(record.invocation_id).nodes:
                statuses[node.unique_id] = (record.invocation_id, node)
        return statuses


def _summary(record: RunRecord) -> RunSummary:
    return RunSummary(
        invocation_id=record.invocation_id,
        project=record.project,
        command=record.command.value,
        runtime=record.runtime,
        status=record.status.value,
        started_at=record.started_at,
        completed_at=record.completed_at,
        elapsed_seconds=record.elapsed_seconds,
        nodes=record.nodes,
        failures=record.failures,
    )


def _detail(
    summary: RunSummary,
    results: tuple[NodeResult, ...] | list[NodeResult],
    running: dict[str, NodeStarted],
    parents: dict[str, list[str]],
    error: str | None,
    record: RunRecord | None,
) -> RunDetail:
    spans: dict[str, tuple[datetime | None, datetime | None]] = {
        node.unique_id: (node.started_at, node.completed_at)
        for node in results
        if node.status is not NodeStatus.SKIPPED and node.started_at
    }
    members = {node.unique_id for node in results} | set(running)
    chain = critical_path(spans, parents) if not running else []
    on_chain = set(chain)
    nodes = [
        RunNode(
            result=node,
            unique_id=node.unique_id,
            name=node.name,
            resource_type=node.resource_type,
            status=node.status.value,
            started_at=node.started_at,
            completed_at=node.completed_at,
            depends_on=[p for p in parents.get(node.unique_id, []) if p in members],
            critical=node.unique_id in on_chain,
        )
        for node in results
    ] + [
        RunNode(
            unique_id=uid,
            name=event.name,
            resource_type=event.resource_type,
            status="running",
            started_at=event.started_at,
            depends_on=[p for p in parents.get(uid, []) if p in members],
            critical=False,
        )
        for uid, event in running.items()
    ]
    nodes.sort(key=lambda node: (node.started_at is None, node.started_at or summary.started_at))
    files = sorted(record.files) if record else [EVENTS_FILE]
    skipped = sum(1 for node in nodes if node.status == "skipped")
    return RunDetail(
        run=summary.model_copy(update={"skipped": skipped}),
        error=error,
        nodes=nodes,
        critical_path=chain,
        files=files,
    )


def _model_summary(
    unique_id: str, graph: DbtGraph, statuses: dict[str, tuple[str, RunNode]]
) -> ModelSummary:
    node = graph.nodes[unique_id]
    last = statuses.get(unique_id)
    return ModelSummary(
        unique_id=unique_id,
        name=node.name,
        resource_type=node.resource_type,
        description=node.description,
        materialization=node.materialization,
        path=node.path,
        tags=list(node.tags),
        last_status=last[1].status if last else None,
        last_run=last[0] if last else None,
    )
