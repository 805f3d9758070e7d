"""Translate floe's node event stream into OpenLineage run events.

One :class:`LineageTranslator` follows any number of invocations. The invocation is the parent
job (``dbt-<command>-<project>``); every model, seed, snapshot, test and freshness-checked
source is a child job named ``<database>.<schema>.<relation>`` whose runs point at the
invocation's run through the ``parent`` facet. Subclass and override the ``get_*`` methods
to change names or facets.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    DatasetFacet,
    InputDatasetFacet,
    JobFacet,
    OutputDatasetFacet,
    RunFacet,
    external_query_run,
    output_statistics_output_dataset,
    sql_job,
)
from openlineage.client.uuid import generate_new_uuid

from floe_core._events import (
    FloeEvent,
    NodeFinished,
    NodeSkipped,
    NodeStarted,
    RunFinished,
    RunHandleReported,
    RunPlanned,
    RunStarted,
)
from floe_core._invocation import DBTCommand
from floe_core._results import NodeResult, NodeStatus, RunStatus
from floe_core.lineage._column_lineage import column_lineage_facet
from floe_core.lineage._dbt_manifest import DbtManifest, NodeInfo, load_manifest
from floe_core.lineage._facets import (
    PRODUCER,
    FloeInvocationRunFacet,
    RunRef,
    TraceIds,
    assertions_facet,
    dataset_facets,
    error_facet,
    invocation_facet,
    job_type_facet,
    parent_facet,
    processing_engine_facet,
    trace_facets,
)

__all__ = ["LINEAGE_RESOURCE_TYPES", "LineageTranslator"]

LINEAGE_RESOURCE_TYPES = frozenset({"model", "seed", "snapshot", "test", "source"})
"""The node types that become OpenLineage jobs (a source: its freshness check)."""

_RUN_END_STATE = {
    RunStatus.SUCCESS: RunState.COMPLETE,
    RunStatus.FAILED: RunState.FAIL,
    RunStatus.ERROR: RunState.FAIL,
    RunStatus.CANCELLED: RunState.ABORT,
    RunStatus.TIMED_OUT: RunState.ABORT,
    RunStatus.DETACHED: RunState.OTHER,
}


@dataclass
class _Invocation:
    run_id: str
    job_name: str
    command: DBTCommand
    facet: FloeInvocationRunFacet
    pending_start: tuple[RunStarted, TraceIds | None] | None = None
    """The START, held until the plan brings the manifest (and with it the dbt version)."""
    manifest: DbtManifest | None = None
    node_runs: dict[str, str] = field(default_factory=dict)
    dataset_facets: dict[str, dict[str, DatasetFacet]] = field(default_factory=dict)
    """Per relation: its facets are the same in every event of the run, so built once."""
    held: list[tuple[FloeEvent, TraceIds | None]] | None = None
    """Node events waiting for a manifest that comes with the run's result
    (``RunPlanned.manifest_pending``); ``None`` when events are translated as they come."""


def _run_id(invocation_id: str) -> str:
    """The invocation id when it is a UUID (dbt's and floe's are), else a stable UUID of it."""
    try:
        return str(uuid.UUID(invocation_id))
    except ValueError:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"floe:{invocation_id}"))


class LineageTranslator:
    """Builds the OpenLineage events of floe events; keeps per-invocation state.

    Not thread-safe: the lineage observer calls it from its single worker thread.
    """

    def __init__(
        self,
        *,
        job_namespace: str,
        dataset_namespace: str,
        namespace_for_target: Callable[[str | None], str] | None = None,
        parent: RunRef | None = None,
        root: RunRef | None = None,
    ) -> None:
        """``parent``/``root``: the run that started floe and the top of its hierarchy;
        ``namespace_for_target``: the dataset namespace of an invocation's dbt target, when
        it depends on the target (a profiles.yml with several)."""
        self.job_namespace = job_namespace
        self.dataset_namespace = dataset_namespace
        self._namespace_for_target = namespace_for_target
        self.parent = parent
        self.root = root or parent
        self._invocations: dict[str, _Invocation] = {}

    def dataset_namespace_of(self, target: str | None) -> str:
        """The dataset namespace of an invocation on dbt target ``target``."""
        if self._namespace_for_target is not None:
            return self._namespace_for_target(target)
        return self.dataset_namespace

    # -- entry point -----------------------------------------------------------------------
    def translate(self, event: FloeEvent, trace: TraceIds | None = None) -> list[RunEvent]:
        if isinstance(event, RunStarted):
            if self._namespace_for_target is not None:  # events arrive in order, one run at a time
                self.dataset_namespace = self._namespace_for_target(event.target)
            self._run_started(event, trace)
            return []
        invocation = self._invocations.get(event.invocation_id)
        if invocation is None:
            return []  # started before this translator existed: nothing to parent it under
        if isinstance(event, RunHandleReported):
            return []  # where a run is followed from is not lineage; keep the START pending
        if isinstance(event, RunPlanned) and event.manifest_pending and event.manifest_path is None:
            invocation.held = []  # named once the manifest arrives; the START waits too
            return []
        if invocation.held is not None:
            if not isinstance(event, RunFinished):
                invocation.held.append((event, trace))
                return []
            return self._release_held(invocation, event, trace)
        events: list[RunEvent] = []
        manifest_path = event.manifest_path if isinstance(event, RunPlanned) else None
        if manifest_path is not None and manifest_path.is_file():
            invocation.manifest = load_manifest(manifest_path)
        if invocation.pending_start is not None:
            events.append(self._start_event(invocation, *invocation.pending_start))
            invocation.pending_start = None
        if isinstance(event, RunPlanned):
            return events
        if isinstance(event, RunFinished):
            del self._invocations[event.invocation_id]
            return [*events, self._run_finished(invocation, event, trace)]
        if isinstance(event, NodeStarted):
            if event.resource_type not in LINEAGE_RESOURCE_TYPES:
                return events
            events.append(
                self._node_event(
                    invocation, event.unique_id, RunState.START, event.started_at, None, trace
                )
            )
            return events
        result = event.result
        if result.resource_type not in LINEAGE_RESOURCE_TYPES:
            return events
        ended_at = result.completed_at or result.started_at or event.emitted_at
        if isinstance(event, NodeSkipped) and result.unique_id not in invocation.node_runs:
            # Every OpenLineage run has a START; a node skipped before it began gets one too.
            events.append(
                self._node_event(
                    invocation, result.unique_id, RunState.START, ended_at, None, trace
                )
            )
        state = {
            NodeStatus.SUCCESS: RunState.COMPLETE,
            NodeStatus.WARN: RunState.COMPLETE,
            NodeStatus.SKIPPED: RunState.ABORT,
        }.get(result.status, RunState.FAIL)
        events.append(
            self._node_event(invocation, result.unique_id, state, ended_at, result, trace)
        )
        invocation.node_runs.pop(result.unique_id, None)
        return events

    def _release_held(
        self, invocation: _Invocation, finished: RunFinished, trace: TraceIds | None
    ) -> list[RunEvent]:
        """The held node events, translated with the manifest of the run's result and each
        node's final result (the early reports lack compiled SQL and row counts)."""
        held, invocation.held = invocation.held or [], None
        final = {node.unique_id: node for node in finished.result.nodes}
        replay: list[tuple[FloeEvent, TraceIds | None]] = [
            (
                RunPlanned(
                    invocation_id=finished.invocation_id,
                    manifest_path=finished.result.manifest_path,
                ),
                None,
            )
        ]
        for event, event_trace in held:
            if isinstance(event, NodeFinished | NodeSkipped):
                result = final.get(event.result.unique_id, event.result)
                event = event.model_copy(update={"result": result})
            replay.append((event, event_trace))
        replay.append((finished, trace))
        return [
            run_event
            for event, event_trace in replay
            for run_event in self.translate(event, event_trace)
        ]

    # -- overridable naming and facets -----------------------------------------------------
    def get_parent_job_name(self, event: RunStarted) -> str:
        return f"dbt-{event.command.value.replace(' ', '-')}-{event.project_name}"

    def get_job_name(self, node: NodeInfo, command: DBTCommand) -> str:
        return node.relation_path

    def get_dataset_facets(self, node: NodeInfo) -> dict[str, DatasetFacet]:
        return dataset_facets(node, self.dataset_namespace)

    def _dataset_facets(self, invocation: _Invocation, node: NodeInfo) -> dict[str, DatasetFacet]:
        facets = invocation.dataset_facets.get(node.unique_id)
        if facets is None:
            facets = invocation.dataset_facets[node.unique_id] = self.get_dataset_facets(node)
        return facets

    # -- the invocation (parent job) -------------------------------------------------------
    def _run_started(self, event: RunStarted, trace: TraceIds | None) -> None:
        self._invocations[event.invocation_id] = _Invocation(
            run_id=_run_id(event.invocation_id),
            job_name=self.get_parent_job_name(event),
            command=event.command,
            facet=invocation_facet(event),
            pending_start=(event, trace),
        )

    def _start_event(
        self, invocation: _Invocation, event: RunStarted, trace: TraceIds | None
    ) -> RunEvent:
        run_facets = self._invocation_run_facets(invocation)
        if invocation.manifest is not None and invocation.manifest.dbt_version:
            run_facets["processing_engine"] = processing_engine_facet(
                invocation.manifest.dbt_version
            )
        run_facets.update(trace_facets(trace))
        return RunEvent(
            eventType=RunState.START,
            eventTime=event.started_at.isoformat(),
            run=Run(runId=invocation.run_id, facets=run_facets),
            job=self._parent_job(invocation),
            producer=PRODUCER,
        )

    def _run_finished(
        self, invocation: _Invocation, event: RunFinished, trace: TraceIds | None
    ) -> RunEvent:
        result = event.result
        run_facets = self._invocation_run_facets(invocation)
        dbt_version = result.dbt_version or (
            invocation.manifest.dbt_version if invocation.manifest else None
        )
        if dbt_version:
            run_facets["processing_engine"] = processing_engine_facet(dbt_version)
        failed = [node.unique_id for node in result.nodes if node.status.is_failure]
        if result.status is not RunStatus.SUCCESS and (result.error or failed):
            message = result.error or f"{len(failed)} node(s) failed: {', '.join(failed)}"
            run_facets["errorMessage"] = error_facet(message, "python")
        run_facets.update(trace_facets(trace))
        return RunEvent(
            eventType=_RUN_END_STATE[result.status],
            eventTime=result.completed_at.isoformat(),
            run=Run(runId=invocation.run_id, facets=run_facets),
            job=self._parent_job(invocation),
            producer=PRODUCER,
        )

    def _invocation_run_facets(self, invocation: _Invocation) -> dict[str, RunFacet]:
        facets: dict[str, RunFacet] = {"floe_invocation": invocation.facet}
        if self.parent is not None and self.root is not None:
            facets["parent"] = parent_facet(self.parent, self.root)
        return facets

    def _parent_job(self, invocation: _Invocation) -> Job:
        facets: dict[str, JobFacet] = {"jobType": job_type_facet("JOB")}
        return Job(namespace=self.job_namespace, name=invocation.job_name, facets=facets)

    # -- nodes -----------------------------------------------------------------------------
    def _node_event(
        self,
        invocation: _Invocation,
        unique_id: str,
        state: RunState,
        when: datetime,
        result: NodeResult | None,
        trace: TraceIds | None,
    ) -> RunEvent:
        """One event of a node's run; ``result`` is ``None`` for its START."""
        manifest = invocation.manifest
        node = (manifest.get(unique_id) if manifest else None) or self._fallback_node(
            unique_id, result
        )
        run_id = invocation.node_runs.setdefault(unique_id, str(generate_new_uuid()))
        sql = self._compiled_sql(invocation, result)
        inputs, outputs = self._datasets(invocation, node, result, sql)
        return RunEvent(
            eventType=state,
            eventTime=when.isoformat(),
            run=Run(runId=run_id, facets=self._node_run_facets(invocation, result, trace)),
            job=Job(
                namespace=self.job_namespace,
                name=self.get_job_name(node, invocation.command),
                facets=self._node_job_facets(invocation, node, sql),
            ),
            inputs=inputs,
            outputs=outputs,
            producer=PRODUCER,
        )

    @staticmethod
    def _fallback_node(unique_id: str, result: NodeResult | None) -> NodeInfo:
        """Node metadata when the runtime gave no manifest: the ids the events carry."""
        resource_type = unique_id.split(".", 1)[0]
        relation_name = result.relation_name if result else None
        relation = (relation_name or "").replace('"', "").replace("`", "")
        database, schema, identifier = ([None, None, *relation.split(".")])[-3:]
        return NodeInfo(
            unique_id=unique_id,
            resource_type=resource_type,
            name=result.name if result else unique_id.rsplit(".", 1)[-1],
            database=database,
            schema=schema,
            identifier=identifier or unique_id,
            materialization=result.materialization if result else None,
        )

    def _node_run_facets(
        self, invocation: _Invocation, result: NodeResult | None, trace: TraceIds | None
    ) -> dict[str, RunFacet]:
        own = RunRef(self.job_namespace, invocation.job_name, invocation.run_id)
        facets: dict[str, RunFacet] = {"parent": parent_facet(own, self.root or own)}
        if invocation.manifest and invocation.manifest.dbt_version:
            facets["processing_engine"] = processing_engine_facet(invocation.manifest.dbt_version)
        if result is not None and result.status.is_failure:
            message = result.message or f"{result.unique_id} {result.status.value}"
            facets["errorMessage"] = error_facet(message, "sql")
        if result is not None and result.adapter_response.query_id:
            facets["externalQuery"] = external_query_run.ExternalQueryRunFacet(
                externalQueryId=result.adapter_response.query_id,
                source=self.dataset_namespace,
                producer=PRODUCER,
            )
        facets.update(trace_facets(trace))
        return facets

    @staticmethod
    def _compiled_sql(invocation: _Invocation, result: NodeResult | None) -> str | None:
        """The node's compiled SQL once it ran (``None`` for its START)."""
        if result is None:
            return None
        manifest = invocation.manifest
        node = manifest.get(result.unique_id) if manifest else None
        if result.compiled_code or manifest is None or node is None:
            return result.compiled_code
        # Runtimes that report results live may not carry the SQL; dbt wrote it to target/.
        return manifest.compiled_sql(node)

    def _node_job_facets(
        self, invocation: _Invocation, node: NodeInfo, sql: str | None
    ) -> dict[str, JobFacet]:
        facets: dict[str, JobFacet] = {"jobType": job_type_facet(node.resource_type.upper())}
        if sql:
            dialect = invocation.manifest.adapter_type if invocation.manifest else None
            facets["sql"] = sql_job.SQLJobFacet(query=sql, dialect=dialect, producer=PRODUCER)
        return facets

    def _datasets(
        self,
        invocation: _Invocation,
        node: NodeInfo,
        finished: NodeResult | None,
        sql: str | None,
    ) -> tuple[list[InputDataset], list[OutputDataset]]:
        manifest = invocation.manifest
        if node.resource_type == "source":  # `source freshness` reads the source
            source = InputDataset(
                namespace=self.dataset_namespace,
                name=node.relation_path,
                facets=self._dataset_facets(invocation, node),
            )
            return [source], []
        if node.resource_type == "test":
            tested = [node.attached_node] if node.attached_node else list(node.depends_on)
            input_facets: dict[str, InputDatasetFacet] = {}
            if finished is not None and finished.status is not NodeStatus.SKIPPED:
                input_facets["dataQualityAssertions"] = assertions_facet(node, finished)
            inputs = [
                InputDataset(
                    namespace=self.dataset_namespace,
                    name=upstream.relation_path,
                    facets=self._dataset_facets(invocation, upstream),
                    inputFacets=dict(input_facets),
                )
                for upstream in self._relations(manifest, tested)
            ]
            return inputs, []
        upstreams = self._relations(manifest, node.depends_on)
        inputs = [
            InputDataset(
                namespace=self.dataset_namespace,
                name=upstream.relation_path,
                facets=self._dataset_facets(invocation, upstream),
            )
            for upstream in upstreams
        ]
        if node.materialization == "ephemeral":
            return inputs, []
        output_facets: dict[str, OutputDatasetFacet] = {}
        rows = finished.adapter_response.rows_affected if finished else None
        if rows is not None and rows >= 0:
            output_facets["outputStatistics"] = (
                output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                    rowCount=rows, producer=PRODUCER
                )
            )
        facets = self._dataset_facets(invocation, node)
        succeeded = finished is not None and finished.status is NodeStatus.SUCCESS
        if sql and succeeded and node.resource_type == "model":
            dialect = manifest.adapter_type if manifest else None
            columns = column_lineage_facet(sql, dialect, node, upstreams, self.dataset_namespace)
            if columns is not None:
                facets = {**facets, "columnLineage": columns}
        output = OutputDataset(
            namespace=self.dataset_namespace,
            name=node.relation_path,
            facets=facets,
            outputFacets=output_facets,
        )
        return inputs, [output]

    @staticmethod
    def _relations(
        manifest: DbtManifest | None, unique_ids: list[str] | tuple[str, ...]
    ) -> list[NodeInfo]:
        return manifest.relations(unique_ids) if manifest is not None else []
