"""The activities of ``floe_dbt_run``: plan, project hooks, nodes, store artifacts.

They run on workers, synchronously in the worker's thread pool, on top of one shared
:class:`~floe_dbt_inprocess.executor.ExecutorPool` (one warm executor per project version).
Errors leave as ``ApplicationError`` whose ``type`` is the floe error class name; only
warehouse/connection errors are retryable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from temporalio import activity

from floe_core import DBTCommand, ExecutionPlan, NodeResult, NodeStatus
from floe_dbt_inprocess.executor import WarmExecutor
from floe_dbt_temporal._artifacts import RunArtifacts
from floe_dbt_temporal._models import (
    CompletedPage,
    CompletedRequest,
    HookRequest,
    PlanPage,
    PlanPageRequest,
    PlanRequest,
    PlanSummary,
    RunContext,
    StoredRun,
    StoreRequest,
)
from floe_dbt_temporal._node_activities import NodeActivities
from floe_dbt_temporal._object_store import read_artifact

__all__ = ["PLAN_PAGE_SIZE", "RunActivities"]

PLAN_PAGE_SIZE = 2000
"""Nodes per plan page: ~100-200 KiB per page payload, far below Temporal's 2 MiB."""


def _restricted(plan: ExecutionPlan, only: frozenset[str]) -> ExecutionPlan:
    """The plan's nodes in ``only`` (retry), waiting only for each other."""
    nodes = tuple(
        node.model_copy(update={"depends_on": tuple(p for p in node.depends_on if p in only)})
        for node in plan.nodes
        if node.unique_id in only
    )
    return plan.model_copy(update={"nodes": nodes})


class RunActivities(NodeActivities):
    """Activity implementations bound to one worker's registry, executors and store."""

    # -- activities ----------------------------------------------------------------------
    @activity.defn(name="floe_plan")
    def plan(self, request: PlanRequest) -> PlanSummary:
        """Parse (warm), select, and store the manifest and the plan; return references."""
        context = request.context
        version = self._planned_version(context)

        def build(executor: WarmExecutor) -> PlanSummary:
            listing = None
            if context.command is DBTCommand.LIST:
                lines = executor.list_nodes(
                    request.select,
                    request.exclude,
                    request.selector,
                    request.command_args.dbt_options(DBTCommand.LIST),
                )
                listing = "\n".join(lines)
                plan = ExecutionPlan(project_name=executor.project_name, nodes=())
            else:
                plan = executor.plan(request.select, request.exclude, request.selector)
            if request.only is not None:
                plan = _restricted(plan, frozenset(request.only))
            return PlanSummary(
                project_name=executor.project_name,
                project_version=version,
                plan=self.store.put(
                    f"runs/{context.run_id}/plan.json", plan.model_dump_json().encode()
                ),
                # streamed: a large manifest.json never sits whole in the worker's memory
                manifest=self.store.put_file(
                    f"runs/{context.run_id}/manifest.json", executor.manifest_path
                ),
                node_count=len(plan),
                page_size=PLAN_PAGE_SIZE,
                dbt_version=executor.dbt_version,
                listing=listing,
            )

        return self._with_executor(context, version, build)

    @activity.defn(name="floe_warm")
    def warm(self, context: RunContext) -> str:
        """Open the executor the run's nodes will lease (parse the project) while another
        worker plans; best effort: the workflow never waits for it. On the worker that plans
        the pool opens the executor once, so this one waits for that and returns."""
        version = self._planned_version(context)
        return self._with_executor(context, version, lambda executor: executor.project_name)

    @activity.defn(name="floe_plan_page")
    def plan_page(self, request: PlanPageRequest) -> PlanPage:
        plan = ExecutionPlan.model_validate_json(read_artifact(self.store, request.plan))
        index = {node.unique_id: i for i, node in enumerate(plan.nodes)}
        nodes = plan.nodes[request.start : request.start + request.count]
        return PlanPage(
            unique_ids=tuple(node.unique_id for node in nodes),
            parents=tuple(tuple(index[p] for p in node.depends_on) for node in nodes),
        )

    @activity.defn(name="floe_project_hooks")
    def project_hooks(self, request: HookRequest) -> list[NodeResult]:
        """``on-run-start`` (after creating the run's schemas) or ``on-run-end``."""
        plan = ExecutionPlan.model_validate_json(read_artifact(self.store, request.plan.plan))
        artifacts = RunArtifacts(self.store, request.context.run_id)

        def run(executor: WarmExecutor) -> list[NodeResult]:
            if request.hook_type == "on-run-start":
                executor.prepare_run(plan.unique_ids)
                return executor.run_hooks("on-run-start")
            succeeded = [r.unique_id for r in artifacts.node_results() if not r.status.is_failure]
            return executor.run_hooks("on-run-end", succeeded=succeeded)

        results = self._with_executor(request.context, request.plan.project_version, run)
        if request.hook_type == "on-run-end":
            # The run's last warehouse work: release the warehouse while the worker idles
            # (a DuckDB file accepts one writer process; others may want it between runs).
            self.pool.release_when_idle()
        for result in results:
            artifacts.put_node_result(result)
        return [result.model_copy(update={"compiled_code": None}) for result in results]

    @activity.defn(name="floe_store_artifacts")
    def store_artifacts(self, request: StoreRequest) -> StoredRun:
        """run_results.json, floe's results and a CLI-style log, next to the manifest."""
        plan = ExecutionPlan.model_validate_json(read_artifact(self.store, request.plan.plan))
        artifacts = RunArtifacts(self.store, request.context.run_id)
        results = artifacts.complete_results(plan)
        refs = artifacts.write_run_files(
            results,
            command=request.context.command,
            status=request.status,
            started_at=request.started_at,
            elapsed_seconds=request.elapsed_seconds,
            dbt_version=request.plan.dbt_version,
        )
        if request.context.command is DBTCommand.SOURCE_FRESHNESS:
            refs["sources"] = artifacts.write_sources(
                request.elapsed_seconds, request.plan.dbt_version
            )
        counts = {status.value: 0 for status in NodeStatus}
        for result in results:
            counts[result.status.value] += 1
        return StoredRun(counts=counts, **refs)

    @activity.defn(name="floe_completed_nodes")
    def completed_nodes(self, request: CompletedRequest) -> CompletedPage:
        """One page of the statuses of nodes this run executed (for continue-as-new)."""
        keys = self.store.list(f"runs/{request.context.run_id}/nodes")
        page = keys[request.start : request.start + PLAN_PAGE_SIZE]
        results = [NodeResult.model_validate_json(self.store.get(key)) for key in page]
        return CompletedPage(
            statuses={
                r.unique_id: r.status.value for r in results if r.resource_type != "operation"
            },
            more=request.start + PLAN_PAGE_SIZE < len(keys),
        )

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.plan,
            self.warm,
            self.plan_page,
            self.project_hooks,
            self.node,
            self.nodes,
            self.record_node,
            self.store_artifacts,
            self.completed_nodes,
        ]
