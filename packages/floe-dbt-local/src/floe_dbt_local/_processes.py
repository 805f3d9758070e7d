"""``processes: N``: a run's nodes on N warm executor processes, scheduled by dependencies.

This process imports no dbt: the children parse the project (in parallel), the first one
plans the selection, creates the schemas and runs the project's hooks; nodes start as soon
as their parents succeeded (:class:`~floe_dbt_inprocess.DagScheduler`, as in the temporal
workflow) on the child with the most free slots. Events, results and run_results.json are
those of a one-process run. Ctrl-C cancels the running statements in the children (their
nodes end as errors, as dbt records them) and skips the rest; a child that dies turns its
running nodes into errors naming it, and the run goes on with the others.
"""

from __future__ import annotations

import math
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime

from floe_core import (
    CommandArgs,
    DBTCommand,
    DBTInvocation,
    DBTRunResult,
    ExecutionPlan,
    FloeEvent,
    NodeFinished,
    NodeResult,
    NodeSkipped,
    NodeStarted,
    NodeStatus,
    PlannedNode,
    PluginConfigError,
    RunPlanned,
    events_for_result,
)
from floe_core.profiles import MaterializedProfile
from floe_core.warehouses import invocation_warehouse
from floe_dbt_inprocess import DagScheduler, write_run_results
from floe_dbt_inprocess.executor import ExecutorProcesses, ExecutorSpec, NodeOutcome
from floe_dbt_local._config import LocalRuntimeConfig
from floe_dbt_local._invocation_args import log_path_for
from floe_dbt_local._manifest_cache import dbt_version

__all__ = ["PROCESS_COMMANDS", "ProcessRun", "check_several_writers", "runs_on_processes"]

PROCESS_COMMANDS = frozenset(
    {DBTCommand.BUILD, DBTCommand.RUN, DBTCommand.TEST, DBTCommand.SEED, DBTCommand.SNAPSHOT}
)
"""Commands whose nodes the executor processes run; others stay one ``dbtRunner`` run."""

_CANCEL_GRACE_SECONDS = 15.0
"""After Ctrl-C: how long cancelled nodes may take to report before their process is killed."""


def runs_on_processes(
    config: LocalRuntimeConfig, command: DBTCommand, invocation: DBTInvocation
) -> bool:
    """Whether this invocation runs on executor processes. ``--state``/``--defer``, retries
    and command options (``--resource-type``...) keep dbt's own run, which implements them."""
    return (
        config.processes > 1
        and command in PROCESS_COMMANDS
        and invocation.state is None
        and invocation.retry_of is None
        and invocation.command_args == CommandArgs()
    )


def check_several_writers(config: LocalRuntimeConfig, invocation: DBTInvocation) -> int:
    """The dbt threads of the run; refuses a warehouse that takes one writer process."""
    target = invocation_warehouse(invocation)
    described = target.warehouse
    if described is not None and not described.allows_several_writers(target.output):
        where = target.output.get("path") or "memory"
        raise PluginConfigError(
            f"{config.processes_setting}: processes: {config.processes} writes from"
            f" {config.processes} processes at once, but the {target.type} database {where}"
            f" ({target.source}) takes one writing process at a time",
            hint="remove `processes` (or set it to 1) for a DuckDB file; several processes"
            " need a warehouse server such as PostgreSQL",
        )
    threads = target.output.get("threads")
    return int(threads) if isinstance(threads, int) and threads > 0 else 1


class ProcessRun:
    """One invocation executed on ``config.processes`` executor processes."""

    def __init__(
        self,
        config: LocalRuntimeConfig,
        command: DBTCommand,
        invocation: DBTInvocation,
        profile: MaterializedProfile,
        emit: Callable[[FloeEvent], None],
    ) -> None:
        self.config = config
        self.command = command
        self.invocation = invocation
        self.profile = profile
        self._emit = emit
        self._results: dict[str, NodeResult] = {}
        self._hooks: list[NodeResult] = []

    def execute(self, runtime: str) -> DBTRunResult:
        """Run the invocation; ``runtime`` is the name its result carries."""
        invocation, config = self.invocation, self.config
        profile_threads = check_several_writers(config, invocation)
        threads = invocation.threads or config.threads or profile_threads
        started_at, clock = datetime.now(UTC), time.perf_counter()
        spec = ExecutorSpec(
            command=self.command,
            project_dir=invocation.project_dir,
            profiles_dir=self.profile.profiles_dir,
            profile_name=self.profile.profile_name,
            target=invocation.target or self.profile.target,
            vars=invocation.vars,
            full_refresh=invocation.full_refresh,
            project_version=invocation.project_version,
        )
        artifacts = invocation.artifacts_dir
        artifacts.mkdir(parents=True, exist_ok=True)
        log_dir = log_path_for(invocation, config)
        with ExecutorProcesses(
            spec,
            count=config.processes,
            slots=math.ceil(threads / config.processes),
            work_dir=artifacts / "processes",
            log_dir=log_dir,
        ) as processes:
            parsed_manifest = processes.open()
            plan = processes.plan(invocation.select, invocation.exclude, invocation.selector)
            manifest_path = artifacts / "manifest.json"
            shutil.copyfile(parsed_manifest, manifest_path)
            self._emit(
                RunPlanned(
                    invocation_id=invocation.invocation_id,
                    manifest_path=manifest_path,
                    node_ids=plan.unique_ids,
                )
            )
            try:
                self._run(processes, plan)
            finally:
                run_results = write_run_results(
                    artifacts / "run_results.json",
                    [*self._hooks, *self._ordered(plan)],
                    command=self.command,
                    invocation_id=invocation.invocation_id,
                    elapsed_seconds=time.perf_counter() - clock,
                    dbt_version=dbt_version,
                )
        nodes = (*self._hooks, *self._ordered(plan))
        return DBTRunResult(
            invocation_id=invocation.invocation_id,
            command=self.command,
            runtime=runtime,
            status=DBTRunResult.status_from_nodes(nodes),
            started_at=started_at,
            completed_at=datetime.now(UTC),
            elapsed_seconds=time.perf_counter() - clock,
            nodes=nodes,
            manifest_path=manifest_path,
            run_results_path=run_results,
            log_path=None,
            dbt_version=dbt_version,
            metadata={"processes": config.processes},
        )

    def _ordered(self, plan: ExecutionPlan) -> list[NodeResult]:
        return [self._results[uid] for uid in plan.unique_ids if uid in self._results]

    def _run(self, processes: ExecutorProcesses, plan: ExecutionPlan) -> None:
        nodes = {node.unique_id: node for node in plan.nodes}
        positions = {uid: i for i, uid in enumerate(plan.unique_ids, 1)}
        ids = plan.unique_ids
        parents = [
            [positions[p] - 1 for p in node.depends_on if p in positions] for node in plan.nodes
        ]
        scheduler = DagScheduler(ids, parents, fail_fast=self.invocation.fail_fast)
        run_id = self.invocation.invocation_id
        processes.prepare(ids)
        if not self._run_hooks(processes, "on-run-start"):
            self._skip(scheduler, nodes, scheduler.stop("skipped: on-run-start hooks failed"))
        try:
            while True:
                for uid in scheduler.take_ready(processes.free_slots):
                    processes.execute(uid, run_id=run_id)
                    self._started(nodes[uid], positions[uid], len(ids))
                if not processes.running:
                    break
                outcome = processes.next_outcome()
                assert outcome is not None  # no timeout: blocks until a node ends
                result = self._finished(nodes[outcome.unique_id], outcome)
                self._skip(scheduler, nodes, scheduler.complete(result.unique_id, result.status))
                if not processes.alive:
                    reason = "skipped: every executor process died"
                    self._skip(scheduler, nodes, scheduler.stop(reason))
        except KeyboardInterrupt:
            self._cancel(processes, scheduler, nodes)
            raise
        if not scheduler.finished:  # no process left to run the rest
            self._skip(scheduler, nodes, scheduler.stop("skipped: every executor process died"))
        succeeded = [uid for uid, r in self._results.items() if r.status is NodeStatus.SUCCESS]
        if processes.alive:
            self._run_hooks(processes, "on-run-end", succeeded)

    def _cancel(
        self, processes: ExecutorProcesses, scheduler: DagScheduler, nodes: dict[str, PlannedNode]
    ) -> None:
        """Ctrl-C: cancel the running statements; their nodes end as what they became."""
        self._skip(scheduler, nodes, scheduler.stop("skipped: the run was cancelled"))
        processes.cancel()
        deadline = time.monotonic() + _CANCEL_GRACE_SECONDS
        while processes.running:
            outcome = processes.next_outcome(timeout=max(0.0, deadline - time.monotonic()))
            if outcome is None:
                break
            self._finished(nodes[outcome.unique_id], outcome)
        processes.close()  # kills a child still running a node after the grace period
        while (outcome := processes.next_outcome(timeout=0)) is not None:
            self._finished(nodes[outcome.unique_id], outcome)

    def _run_hooks(
        self, processes: ExecutorProcesses, hook_type: str, succeeded: list[str] | None = None
    ) -> bool:
        results = processes.hooks(hook_type, succeeded or [])
        for result in results:
            self._hooks.append(result)
            for event in events_for_result(self.invocation.invocation_id, result):
                self._emit(event)
        return not any(result.status.is_failure for result in results)

    def _started(self, node: PlannedNode, index: int, total: int) -> None:
        self._emit(
            NodeStarted(
                invocation_id=self.invocation.invocation_id,
                unique_id=node.unique_id,
                name=node.name,
                resource_type=node.resource_type,
                materialization=node.materialization,
                started_at=datetime.now(UTC),
                index=index,
                total=total,
            )
        )

    def _finished(self, node: PlannedNode, outcome: NodeOutcome) -> NodeResult:
        if outcome.execution is not None:
            result = outcome.execution.result
        else:
            result = _result_of(node, NodeStatus.ERROR, outcome.error or "no result")
            result = result.model_copy(update={"completed_at": datetime.now(UTC)})
        self._results[node.unique_id] = result
        self._emit(NodeFinished(invocation_id=self.invocation.invocation_id, result=result))
        return result

    def _skip(
        self, scheduler: DagScheduler, nodes: dict[str, PlannedNode], skipped: list[str]
    ) -> None:
        for uid in skipped:
            result = _result_of(nodes[uid], NodeStatus.SKIPPED, scheduler.skip_reasons[uid])
            self._results[uid] = result
            self._emit(NodeSkipped(invocation_id=self.invocation.invocation_id, result=result))


def _result_of(node: PlannedNode, status: NodeStatus, message: str) -> NodeResult:
    return NodeResult(
        unique_id=node.unique_id,
        name=node.name,
        resource_type=node.resource_type,
        status=status,
        message=message,
        relation_name=node.relation_name,
        materialization=node.materialization,
    )
