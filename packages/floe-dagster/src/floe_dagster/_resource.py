"""``FloeResource``: runs a step's dbt nodes on the runtime the platform manifest names."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime, time
from typing import Any

from dagster import AssetExecutionContext, ConfigurableResource, TimeWindowPartitionsDefinition
from opentelemetry import trace
from pydantic import Field

from floe_core import DBTRunResult, FloeEvent
from floe_core.api import Floe
from floe_core.tracing import inject_carrier
from floe_dagster._build_process import BuildRequest, FloeOptions, build_here, build_in_child
from floe_dagster._execution import DagsterEvent, StepRun
from floe_dagster._freshness_check import check_source_freshness
from floe_dagster._parents import (
    DagsterRunRef,
    lineage_parent_env,
    lineage_parent_vars,
    trace_parent,
)
from floe_dagster._selection import select_for_step
from floe_dagster._source_freshness import SourceFreshness

__all__ = ["FloeResource", "partition_vars"]


def _as_var(moment: datetime) -> str:
    """A day boundary as ``YYYY-MM-DD`` (compares with a date or timestamp column in any
    warehouse), any other instant as ISO 8601."""
    if moment.timetz() == time(0, tzinfo=moment.tzinfo):
        return moment.date().isoformat()
    return moment.isoformat()


def partition_vars(
    context: AssetExecutionContext, start_var: str = "min_date", end_var: str = "max_date"
) -> dict[str, str]:
    """The run's partition as dbt vars: a time window as ``start_var``/``end_var`` (end
    exclusive; a backfill of several partitions in one run gets the whole range), any other
    partition key as ``partition_key``; nothing for an unpartitioned run."""
    if not context.has_partition_key and not context.has_partition_key_range:
        return {}
    if isinstance(context.assets_def.partitions_def, TimeWindowPartitionsDefinition):
        window = context.partition_time_window
        return {start_var: _as_var(window.start), end_var: _as_var(window.end)}
    return {"partition_key": context.partition_key}


class FloeResource(ConfigurableResource):  # type: ignore[type-arg]
    """floe for Dagster assets: the platform manifest decides where dbt runs.

    ``runtime``/``runtime_config`` override the manifest's ``plugins.dbt_runtime`` (as
    ``floe --runtime`` does); leave them unset to switch runtimes in the manifest alone.
    """

    platform_manifest: str = Field(
        default="platform-manifest.yaml", description="Path of platform-manifest.yaml."
    )
    project_dir: str | None = Field(default=None, description="Overrides project.dir.")
    runtime: str | None = Field(default=None, description="Overrides plugins.dbt_runtime.type.")
    runtime_config: dict[str, Any] | None = Field(
        default=None, description="Overrides plugins.dbt_runtime.config."
    )
    threads: int | None = Field(default=None, description="dbt threads for the build.")
    build_process: bool = Field(
        default=False,
        description="Run the step's floe build in a child process, where dbt and Dagster's"
        " event storage can use two cores instead of sharing one (for a machine with an idle"
        " core: it costs ~1.5 s more CPU); by default it runs in a thread of the step.",
    )

    def open(self, run: DagsterRunRef | None = None) -> Floe:
        """A :class:`Floe` on the manifest's runtime (with ``run`` as lineage parent)."""
        if run is None:
            return self._floe_options().open()
        with lineage_parent_env(run):
            return self._floe_options().open()

    def _floe_options(self) -> FloeOptions:
        return FloeOptions(
            platform_manifest=self.platform_manifest,
            project_dir=self.project_dir,
            runtime=self.runtime,
            runtime_config=self.runtime_config,
        )

    def source_freshness(self, select: Sequence[str] = ("source:*",)) -> list[SourceFreshness]:
        """``floe source freshness`` of ``select`` on the manifest's runtime: each source's
        status and newest row (see :mod:`floe_dagster._freshness_check`)."""
        with self.open() as floe:
            return check_source_freshness(floe, select)

    def build(
        self,
        context: AssetExecutionContext,
        *,
        vars: Mapping[str, Any] | None = None,
        full_refresh: bool = False,
        partition_vars_fn: Callable[[AssetExecutionContext], Mapping[str, Any]] = partition_vars,
    ) -> Iterator[DagsterEvent]:
        """``dbt build`` of exactly the step's selected assets and checks (less what an
        earlier attempt did when Dagster re-executes from failure), yielding each
        materialization and check result as its node finishes. Raises :class:`dagster.Failure`
        naming the failed nodes and dbt's errors if any selected node did not succeed."""
        selection = select_for_step(context)
        if selection.already_done:
            context.log.info(
                f"re-execution from failure: {len(selection.already_done)} assets/checks"
                " succeeded in an earlier attempt and are not run again"
            )
        if selection.empty:
            return
        run = context.run
        ref = DagsterRunRef(
            job_name=run.job_name,
            run_id=run.run_id,
            root_run_id=run.root_run_id or run.run_id,
            step_key=context.op_execution_context.op_def.name,
        )
        merged_vars = {**partition_vars_fn(context), **(vars or {})}
        context.log.info(
            f"floe build --select {' '.join(selection.select)}"
            + (f" --exclude {' '.join(selection.exclude)}" if selection.exclude else "")
        )
        parent = trace_parent(ref)
        request = BuildRequest(
            floe=self._floe_options(),
            select=selection.select,
            exclude=selection.exclude,
            vars=merged_vars,
            full_refresh=full_refresh,
            threads=self.threads,
            trace_context=inject_carrier(trace.get_current_span(parent)),
        )
        if self.build_process:

            def in_child(subscriber: Callable[[FloeEvent], None]) -> DBTRunResult:
                return build_in_child(request, subscriber, lineage_parent_vars(ref))

            yield from StepRun(context, selection, in_child, parent)
            return
        with self.open(ref) as floe:

            def in_thread(subscriber: Callable[[FloeEvent], None]) -> DBTRunResult:
                return build_here(request, floe, subscriber)

            yield from StepRun(context, selection, in_thread, parent)
