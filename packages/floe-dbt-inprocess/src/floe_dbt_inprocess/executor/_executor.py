"""The warm node executor: parse and link a project once, then execute nodes one by one."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from dbt_common.exceptions import DbtBaseException

from floe_core import (
    DBTCompilationError,
    ExecutionPlan,
    NodeResult,
    PlannedNode,
    order_nodes,
)
from floe_dbt_inprocess._errors import floe_error_from_dbt
from floe_dbt_inprocess._lock import DBT_LOCK
from floe_dbt_inprocess._results import node_result_from_run_result
from floe_dbt_inprocess.executor._dbt_internals import DbtProject, dbt_version
from floe_dbt_inprocess.executor._execution import NodeExecution
from floe_dbt_inprocess.executor._outcome import to_node_execution
from floe_dbt_inprocess.executor._spec import ExecutorSpec

__all__ = ["WarmExecutor"]


class WarmExecutor:
    """One project version, parsed and linked once, with its adapter and connections kept open.

    ``execute`` may be called from many threads at once (each gets its own connection) while
    this executor owns dbt's globals: lease it from an :class:`ExecutorPool` (the pool holds
    :data:`~floe_dbt_inprocess.DBT_LOCK` shared for its leases), or use it from one thread
    that holds the lock exclusively.
    """

    def __init__(self, spec: ExecutorSpec, project: DbtProject) -> None:
        self.spec = spec
        self._project = project
        self._lock = threading.Lock()
        self._prepared_runs: set[str] = set()

    @classmethod
    def open(cls, spec: ExecutorSpec, *, work_dir: Path) -> WarmExecutor:
        """Parse ``spec.project_dir`` and register its adapter; artifacts go under ``work_dir``."""
        target_path = Path(work_dir) / spec.key
        target_path.mkdir(parents=True, exist_ok=True)
        try:
            with DBT_LOCK:  # parsing sets dbt's globals
                project = DbtProject(
                    command=spec.command.value,
                    project_dir=spec.project_dir,
                    profiles_dir=spec.profiles_dir,
                    profile_name=spec.profile_name,
                    target=spec.target,
                    vars=spec.vars,
                    full_refresh=spec.full_refresh,
                    target_path=target_path,
                    env=spec.env,
                    state=spec.state,
                    defer=spec.defer,
                    favor_state=spec.favor_state,
                )
        except Exception as exc:
            raise floe_error_from_dbt(
                exc, project_dir=spec.project_dir, action="dbt parse"
            ) from exc
        return cls(spec, project)

    @property
    def project_name(self) -> str:
        return self._project.project_name

    @property
    def manifest_path(self) -> Path:
        return self._project.manifest_path

    @property
    def dbt_version(self) -> str:
        return str(dbt_version)

    def is_active(self) -> bool:
        return self._project.is_active()

    def activate(self) -> None:
        """Make this executor dbt's current one; its relation cache is stale from now on."""
        self._project.activate()
        with self._lock:
            self._prepared_runs.clear()

    def plan(
        self, select: Iterable[str] = (), exclude: Iterable[str] = (), selector: str | None = None
    ) -> ExecutionPlan:
        """The selected nodes in dependency order (``dbt build`` test edges included)."""
        try:
            selected = self._project.select(tuple(select), tuple(exclude), selector)
        except DbtBaseException as exc:
            raise DBTCompilationError(
                f"dbt could not apply the selection (select={list(select)}, "
                f"exclude={list(exclude)}, selector={selector}): {exc}",
                hint="check the --select/--exclude/--selector syntax and names",
            ) from exc
        nodes = [
            PlannedNode(
                unique_id=node.unique_id,
                name=node.name,
                resource_type=node.resource_type,
                materialization=node.materialization,
                relation_name=node.relation_name,
                depends_on=node.depends_on,
            )
            for node in selected
        ]
        return ExecutionPlan(project_name=self.project_name, nodes=order_nodes(nodes))

    def list_nodes(
        self,
        select: Iterable[str] = (),
        exclude: Iterable[str] = (),
        selector: str | None = None,
        options: Iterable[str] = (),
    ) -> list[str]:
        """The lines ``dbt ls`` prints (options: ``CommandArgs.dbt_options``)."""
        try:
            return self._project.list_nodes(select, exclude, selector, options)
        except DbtBaseException as exc:
            raise DBTCompilationError(
                f"dbt ls could not apply the selection (select={list(select)}): {exc}",
                hint="check the --select/--exclude/--selector syntax and names",
            ) from exc

    def prepare_run(self, unique_ids: Iterable[str]) -> None:
        """Create the schemas the selected nodes write to (once per run, before any node)."""
        self._project.bind_thread()
        self._project.prepare_run(unique_ids)

    def execute(
        self, unique_id: str, *, run_id: str | None = None, retried: bool = False
    ) -> NodeExecution:
        """Execute one node. A node that fails is a result, never an exception.

        The first node of each ``run_id`` (and the first after :meth:`activate`) reloads the
        relation cache: other workers or executors may have created or replaced relations
        since this executor last looked. A ``retried`` node (an earlier attempt may have run
        elsewhere) first rechecks its own relations in the warehouse.
        """
        if not self._project.has_node(unique_id):
            raise DBTCompilationError(
                f"node {unique_id} is not in project {self.project_name}",
                hint="the project changed between planning and execution; start a new run",
            )
        with self._lock:
            if (run_id or "") not in self._prepared_runs:
                self._project.bind_thread()
                self._project.refresh_cache()
                self._prepared_runs.add(run_id or "")
        if retried:
            self._project.recheck_relations(unique_id)
        raw = self._project.execute(unique_id)
        return to_node_execution(raw.run_result, raw.exception)

    def run_hooks(
        self, hook_type: str, *, succeeded: Iterable[str] = (), results: Iterable[Any] = ()
    ) -> list[NodeResult]:
        """Run ``on-run-start`` or ``on-run-end``; ``succeeded`` feeds ``database_schemas``."""
        pairs = self._project.relation_schemas(succeeded)
        context: Mapping[str, Any] = (
            {}
            if hook_type == "on-run-start"
            else {
                "schemas": sorted({schema for _, schema in pairs}),
                "database_schemas": pairs,
                "results": list(results),
            }
        )
        return [node_result_from_run_result(r) for r in self._project.run_hooks(hook_type, context)]

    def cancel_query_of(self, thread_id: int) -> None:
        """Cancel the warehouse statement of the node thread ``thread_id`` is executing."""
        self._project.cancel_query_of(thread_id)

    def close(self) -> None:
        self._project.close()
