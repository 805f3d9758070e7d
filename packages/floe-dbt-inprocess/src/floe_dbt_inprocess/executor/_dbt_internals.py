# dbt-core internals are partially typed; this boundary module accepts that, nothing else does.
# mypy: disable-error-code="no-untyped-call,attr-defined,method-assign,assignment"
"""The only module that touches dbt-core internals (tasks, runners, flags, adapter factory).

dbt-core has no public API for "execute one node of an already parsed project"; its
``dbtRunner`` re-links the whole graph on every invocation (~0.6 s on 1,000 models). We
drive dbt's own task and runner classes instead, exactly as ``dbt build`` does, so one node
costs what it costs inside a batch run. These classes are internal: ``floe-dbt-inprocess`` pins
``dbt-core>=1.11,<1.12`` and ``tests/executor/test_dbt_internals.py`` exercises every entry
point used here so a dbt upgrade that moves them fails loudly.

dbt keeps flags and adapters in process-wide globals; :meth:`DbtProject.activate` puts this
project's back. Callers hold :data:`~floe_dbt_inprocess.DBT_LOCK` (exclusively, or shared
through :class:`~floe_dbt_inprocess.executor.ExecutorPool`) so that only one project is
active while nodes execute.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dbt.adapters.factory import FACTORY, get_adapter
from dbt.cli.flags import Flags, args_to_context
from dbt.config.runtime import RuntimeConfig
from dbt.contracts.graph.manifest import Manifest
from dbt.events.logging import setup_event_logger
from dbt.flags import get_flags, set_flags
from dbt.graph import Graph
from dbt.node_types import NodeType, RunHookType
from dbt.parser.manifest import parse_manifest
from dbt.selected_resources import set_selected_resources
from dbt.task.runnable import GraphRunnableTask
from dbt.tracking import initialize_from_flags
from dbt.version import __version__ as dbt_version
from dbt_common.context import set_invocation_context

from floe_dbt_inprocess._args import LogLevel, dbt_args

__all__ = ["DbtProject", "RawOutcome", "SelectedNode", "dbt_version"]

_TASKS: Mapping[str, tuple[str, str]] = {
    "build": ("dbt.task.build", "BuildTask"),
    "run": ("dbt.task.run", "RunTask"),
    "test": ("dbt.task.test", "TestTask"),
    "seed": ("dbt.task.seed", "SeedTask"),
    "snapshot": ("dbt.task.snapshot", "SnapshotTask"),
    "compile": ("dbt.task.compile", "CompileTask"),
    "source freshness": ("dbt.task.freshness", "FreshnessTask"),
}
"""Each command's task class, imported when a project first runs that command: a worker
that only runs models does not load what tests need (``dbt.task.test`` imports ``daff``,
~26 MB), as ``dbt run`` does not."""


def _task_class(command: str) -> type[GraphRunnableTask]:
    module, name = _TASKS[command]
    task: type[GraphRunnableTask] = getattr(importlib.import_module(module), name)
    return task


@dataclass(frozen=True)
class SelectedNode:
    """A node dbt would execute, with the selected nodes it waits for."""

    unique_id: str
    name: str
    resource_type: str
    materialization: str | None
    relation_name: str | None
    depends_on: tuple[str, ...]


@dataclass(frozen=True)
class RawOutcome:
    """dbt's own ``RunResult`` for one node and the exception dbt swallowed, if any."""

    run_result: Any
    exception: BaseException | None = None


@dataclass
class _Captured:
    exception: BaseException | None = None
    extra: list[Any] = field(default_factory=list)


# A warm executor serves many runs for hours: a debug dbt.log would grow without bound and
# cost a write per event of every node. Node results carry messages and compiled SQL.
_EXECUTOR_LOG_LEVEL: LogLevel = "none"


def _keep_connections(adapter: Any) -> None:
    """Keep each thread's warehouse connection open from one node to the next.

    dbt closes the connection after every node (``connection_named`` releases it), so each
    node pays a new connection: a TCP handshake, authentication and, on PostgreSQL, a
    backend process forked by the server. A warm executor runs thousands of nodes on the
    same few threads: releasing now only ends an open transaction (as closing would), the
    next node on the thread reuses the connection (dbt-snowflake's ``reuse_connections``
    does the same), and :meth:`DbtProject.close` closes them all. A node that errors closes
    its thread's connection, so a broken one is never reused.
    """
    manager = adapter.connections

    def release() -> None:
        connection = manager.get_if_exists()
        if connection is None or connection.state != "open" or not connection.transaction_open:
            return
        try:
            manager._rollback_handle(connection)
            connection.transaction_open = False
        except Exception:
            manager.clear_thread_connection()
            raise

    manager.release = release


class DbtProject:
    """A parsed project, its linked graph and its adapter, ready to execute single nodes."""

    def __init__(
        self,
        *,
        command: str,
        project_dir: Path,
        profiles_dir: Path,
        profile_name: str | None,
        target: str | None,
        vars: Mapping[str, Any],
        full_refresh: bool,
        target_path: Path,
        env: Mapping[str, str],
        state: Path | None = None,
        defer: bool = False,
        favor_state: bool = False,
    ) -> None:
        if command not in _TASKS:
            raise ValueError(f"unsupported dbt command {command!r}; expected one of {list(_TASKS)}")
        self._args_of = functools.partial(
            dbt_args,
            project_dir=project_dir,
            profiles_dir=profiles_dir,
            profile_name=profile_name,
            target=target,
            vars=vars,
            full_refresh=full_refresh,
            target_path=target_path,
            log_path=target_path / "logs",
            log_level_file=_EXECUTOR_LOG_LEVEL,
            state=state,
            defer=defer,
            favor_state=favor_state,
        )
        self._dbt_args = functools.partial(self._args_of, command)
        self._favor_state = state is not None and defer and favor_state
        self._env = {**os.environ, **env}
        self._task_class = _task_class(command)
        self._set_context()
        self.flags = Flags(args_to_context(self._dbt_args()))
        set_flags(self.flags)
        setup_event_logger(self.flags)
        initialize_from_flags(False, self.flags.PROFILES_DIR)
        self.config = RuntimeConfig.from_args(self.flags)
        # parse_manifest registers the adapter for this config and writes manifest.json.
        FACTORY.adapters.pop(self.config.credentials.type, None)
        self.manifest: Manifest = parse_manifest(self.config, False, True, True, [])
        self.adapter = get_adapter(self.config)
        _keep_connections(self.adapter)
        self.task = self._task_class(self.flags, self.config, self.manifest)
        self.task.compile_manifest()
        self.graph: Graph = self.task.graph
        # --defer: the state's relations become the unbuilt nodes' (dbt's before_run does it)
        self.task.defer_to_manifest()

    # -- global state ------------------------------------------------------------------
    def _set_context(self) -> None:
        # env_var() reads the invocation context, a contextvar: set it in every thread.
        set_invocation_context(self._env)

    def activate(self) -> None:
        """Make this project's flags and adapter dbt's process-wide ones."""
        set_flags(self.flags)
        FACTORY.adapters[self.config.credentials.type] = self.adapter
        if self._favor_state:
            # --favor-state skips the state relation of parents in dbt's process-wide
            # selection, which the last selection in this process (another executor's plan)
            # left there. Nodes executed one at a time select nothing: every parent with a
            # state relation is favoured (a state without the run's own nodes gives them none).
            set_selected_resources(set())

    def is_active(self) -> bool:
        """Whether dbt's globals are still this project's (another dbt user may reset them)."""
        registered = FACTORY.adapters.get(self.config.credentials.type)
        return registered is self.adapter and get_flags() is self.flags

    def bind_thread(self) -> None:
        """Prepare the calling thread (invocation context) to execute this project's nodes."""
        self._set_context()

    @property
    def project_name(self) -> str:
        return str(self.config.project_name)

    @property
    def manifest_path(self) -> Path:
        return Path(self.config.project_target_path) / "manifest.json"

    # -- selection ---------------------------------------------------------------------
    def select(
        self, select: Iterable[str], exclude: Iterable[str], selector: str | None
    ) -> list[SelectedNode]:
        """The nodes the command executes for this selection; ephemeral models are folded
        into their dependents, unit tests run before their model as in ``dbt build``."""
        flags = Flags(
            args_to_context(
                self._dbt_args(select=tuple(select), exclude=tuple(exclude), selector=selector)
            )
        )
        task = self._task_class(flags, self.config, self.manifest)
        task.graph = self.graph
        queue = task.get_graph_queue()
        chosen = {
            uid
            for uid in queue.get_selected_nodes()
            if (uid in self.manifest.nodes and not self.manifest.nodes[uid].is_ephemeral_model)
            or uid in self.manifest.sources  # source freshness checks sources
        }
        subset = self.graph.get_subset_graph(chosen).graph
        parents: dict[str, list[str]] = {uid: sorted(subset.predecessors(uid)) for uid in chosen}
        for unit_uid in getattr(task, "selected_unit_tests", ()):
            model_uid = self.manifest.unit_tests[unit_uid].depends_on.nodes[0]
            if model_uid in parents:
                parents[unit_uid] = list(parents[model_uid])
                parents[model_uid].append(unit_uid)
        return [self._describe(uid, tuple(deps)) for uid, deps in parents.items()]

    def list_nodes(
        self,
        select: Iterable[str],
        exclude: Iterable[str],
        selector: str | None,
        options: Iterable[str],
    ) -> list[str]:
        """What ``dbt ls`` prints for this selection, from the parsed manifest (no parse);
        ``options`` are its own (``--resource-type``, ``--output``, ``--output-keys``)."""
        args = self._args_of(
            "ls",
            select=tuple(select),
            exclude=tuple(exclude),
            selector=selector,
            extra=tuple(options),
        )
        from dbt.task.list import ListTask  # only `ls` needs it

        task = ListTask(Flags(args_to_context(args)), self.config, self.manifest)
        return [str(line) for line in task.run()]

    def _lookup(self, unique_id: str) -> Any:
        if unique_id in self.manifest.nodes:
            return self.manifest.nodes[unique_id]
        if unique_id in self.manifest.unit_tests:
            return self.manifest.unit_tests[unique_id]
        if unique_id in self.manifest.sources:
            return self.manifest.sources[unique_id]
        raise KeyError(unique_id)

    def _describe(self, unique_id: str, depends_on: tuple[str, ...]) -> SelectedNode:
        node = self._lookup(unique_id)
        config = getattr(node, "config", None)
        return SelectedNode(
            unique_id=unique_id,
            name=str(node.name),
            resource_type=str(node.resource_type),
            materialization=getattr(config, "materialized", None),
            relation_name=getattr(node, "relation_name", None),
            depends_on=depends_on,
        )

    def has_node(self, unique_id: str) -> bool:
        return any(
            unique_id in found
            for found in (self.manifest.nodes, self.manifest.unit_tests, self.manifest.sources)
        )

    # -- execution ---------------------------------------------------------------------
    def prepare_run(self, unique_ids: Iterable[str]) -> None:
        """Create the schemas of these nodes and fill the relation cache from the warehouse."""
        uids = set(unique_ids)
        with self.adapter.connection_named("master"):
            schemas = self.task.get_model_schemas(self.adapter, uids)
            self.task.create_schemas(self.adapter, schemas)
            self.task.populate_adapter_cache(self.adapter, schemas)

    def refresh_cache(self) -> None:
        """Reload the relation cache of every schema the project writes to."""
        with self.adapter.connection_named("master"):
            self.adapter.cache.clear()
            self.task.populate_adapter_cache(self.adapter)

    def recheck_relations(self, unique_id: str) -> None:
        """Make the relation cache tell the truth about this node's own relations (its table
        or view and the ``__dbt_tmp``/``__dbt_backup`` ones its materialization makes).

        For a retried attempt: an earlier one, on another worker that died before reporting,
        may have committed them after this executor last listed the schema; a cache that does
        not know the table makes the materialization create it, not replace it ("relation
        already exists"). One listing of the node's schema; other nodes' entries stay.
        """
        node = self.manifest.nodes.get(unique_id)
        if node is None or not node.is_relational or node.resource_type == NodeType.Test:
            return
        relation = self.adapter.Relation.create_from(self.config, node)
        own = str(relation.identifier).lower()

        def is_own(candidate: Any) -> bool:
            name = str(candidate.identifier).lower()
            return name == own or name.startswith(f"{own}__dbt_")

        with self.adapter.connection_named("master"):
            listed = {
                str(found.identifier).lower(): found
                for found in self.adapter.list_relations_without_caching(
                    relation.without_identifier()
                )
                if is_own(found)
            }
        cache = self.adapter.cache
        for cached in cache.get_relations(relation.database, relation.schema):
            if is_own(cached) and str(cached.identifier).lower() not in listed:
                cache.drop(cached)
        for found in listed.values():
            cache.add(found)

    def execute(self, unique_id: str) -> RawOutcome:
        """Run one node through the runner ``dbt <command>`` would use for it."""
        self.bind_thread()
        runner = self.task.get_runner(self._lookup(unique_id))
        captured = _Captured()
        handle: Callable[[Exception, Any], str] = runner.handle_exception

        def capture(exc: Exception, ctx: Any) -> str:
            captured.exception = exc
            return handle(exc, ctx)

        runner.handle_exception = capture
        result = runner.run_with_hooks(self.manifest)
        if captured.exception is not None:
            # The connection may be what broke: the thread's next node opens a new one.
            self._close_thread_connection()
        return RawOutcome(run_result=result, exception=captured.exception)

    def _close_thread_connection(self) -> None:
        manager = self.adapter.connections
        connection = manager.get_if_exists()
        if connection is not None:
            try:
                manager.close(connection)
            except Exception:  # a broken connection fails to close; forget it
                manager.clear_thread_connection()

    def run_hooks(self, hook_type: str, extra_context: Mapping[str, Any]) -> list[Any]:
        """Run the project's ``on-run-start``/``on-run-end`` hooks; dbt's results for them."""
        if not hasattr(self.task, "safe_run_hooks"):  # compile runs no hooks
            return []
        self.bind_thread()
        kind = RunHookType.Start if hook_type == "on-run-start" else RunHookType.End
        before = len(self.task.node_results)
        with self.adapter.connection_named("master"):
            self.task.safe_run_hooks(self.adapter, kind, dict(extra_context))
        results = self.task.node_results[before:]
        del self.task.node_results[before:]
        return list(results)

    def relation_schemas(self, unique_ids: Iterable[str]) -> list[tuple[str | None, str]]:
        """``(database, schema)`` of relational nodes, the context on-run-end hooks expect."""
        pairs = set()
        for uid in unique_ids:
            node = self.manifest.nodes.get(uid)
            if node is not None and node.is_relational and node.resource_type != NodeType.Test:
                pairs.add((node.database, node.schema))
        return sorted(pairs, key=lambda pair: (pair[0] or "", pair[1]))

    def cancel_query_of(self, thread_id: int) -> None:
        """Cancel the statement the thread ``thread_id`` runs on its own connection (the
        adapter's ``cancel``, as dbt does on Ctrl-C); other threads' nodes go on."""
        manager = self.adapter.connections
        connection = manager.thread_connections.get((os.getpid(), thread_id))
        if connection is not None and connection.state == "open":
            # Adapters cancel through a connection of the calling thread (PostgreSQL runs
            # pg_terminate_backend): give this thread one for the call.
            with self.adapter.connection_named("floe-cancel"):
                manager.cancel(connection)
            self._close_thread_connection()

    def close(self) -> None:
        """Close the adapter's connections (the adapter object stays registered)."""
        self.adapter.cleanup_connections()
