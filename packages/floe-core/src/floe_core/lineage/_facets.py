"""The OpenLineage facets floe emits: builders for the standard ones and floe's own.

Every facet is signed with floe's producer URI (the OpenLineage client's default names the
client itself). Facets that are the same in many events are built once (cached builders):
events only reference facets, neither floe nor the client modifies one after it is built.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from functools import lru_cache

import attr
from openlineage.client.facet_v2 import (
    DatasetFacet,
    RunFacet,
    data_quality_assertions_dataset,
    datasource_dataset,
    documentation_dataset,
    error_message_run,
    job_type_job,
    ownership_dataset,
    parent_run,
    processing_engine_run,
    schema_dataset,
)

from floe_core._errors import ConfigError
from floe_core._results import NodeResult, NodeStatus
from floe_core._version import FLOE_VERSION
from floe_core.lineage._dbt_manifest import NodeInfo

__all__ = [
    "FLOE_VERSION",
    "PRODUCER",
    "OpenTelemetryRunFacet",
    "RunRef",
    "TraceIds",
    "assertions_facet",
    "dataset_facets",
    "error_facet",
    "job_type_facet",
    "parent_facet",
    "processing_engine_facet",
    "trace_facets",
]


PRODUCER = f"https://github.com/floe-dev/floe/tree/{FLOE_VERSION}/packages/floe-core"
_SCHEMA_BASE = f"https://github.com/floe-dev/floe/blob/{FLOE_VERSION}/spec/facets"


@attr.define
class OpenTelemetryRunFacet(RunFacet):
    """The OpenTelemetry span of this run, so a lineage event leads to its trace and back.

    ``traceId`` and ``spanId`` are lower-case hex as in a W3C ``traceparent``.
    """

    traceId: str
    spanId: str

    @staticmethod
    def _get_schema() -> str:
        return f"{_SCHEMA_BASE}/OpenTelemetryRunFacet.json"


@dataclass(frozen=True)
class TraceIds:
    """Hex trace and span id of the OpenTelemetry span matching a lineage run."""

    trace_id: str
    span_id: str


@dataclass(frozen=True)
class RunRef:
    """A run of a job elsewhere, e.g. the orchestrator task that started floe."""

    namespace: str
    job_name: str
    run_id: str

    @classmethod
    def parse(cls, value: str, *, source: str) -> RunRef:
        """``<namespace>/<job name>/<run id>``, the ``OPENLINEAGE_PARENT_ID`` format."""
        namespace, _, rest = value.partition("/")
        job_name, _, run_id = rest.rpartition("/")
        try:
            uuid.UUID(run_id)
        except ValueError:
            run_id = ""
        if not (namespace and job_name and run_id):
            raise ConfigError(
                f"{source}: {value!r} is not <namespace>/<job name>/<run id (a UUID)>",
                hint="e.g. airflow/my_dag.dbt_task/01890bbd-5a0c-7b2c-a1de-1f2e3d4c5b6a",
            )
        return cls(namespace, job_name, run_id)


@lru_cache(maxsize=64)
def parent_facet(parent: RunRef, root: RunRef) -> parent_run.ParentRunFacet:
    return parent_run.ParentRunFacet(
        run=parent_run.Run(runId=parent.run_id),
        job=parent_run.Job(namespace=parent.namespace, name=parent.job_name),
        root=parent_run.Root(
            run=parent_run.RootRun(runId=root.run_id),
            job=parent_run.RootJob(namespace=root.namespace, name=root.job_name),
        ),
        producer=PRODUCER,
    )


def trace_facets(trace: TraceIds | None) -> dict[str, RunFacet]:
    if trace is None:
        return {}
    return {
        "opentelemetry": OpenTelemetryRunFacet(
            traceId=trace.trace_id, spanId=trace.span_id, producer=PRODUCER
        )
    }


@lru_cache(maxsize=8)
def processing_engine_facet(dbt_version: str) -> processing_engine_run.ProcessingEngineRunFacet:
    return processing_engine_run.ProcessingEngineRunFacet(
        version=dbt_version, name="dbt", openlineageAdapterVersion=FLOE_VERSION, producer=PRODUCER
    )


def error_facet(message: str, language: str) -> error_message_run.ErrorMessageRunFacet:
    return error_message_run.ErrorMessageRunFacet(
        message=message, programmingLanguage=language, producer=PRODUCER
    )


@lru_cache(maxsize=16)
def job_type_facet(job_type: str) -> job_type_job.JobTypeJobFacet:
    return job_type_job.JobTypeJobFacet(
        processingType="BATCH", integration="DBT", jobType=job_type, producer=PRODUCER
    )


def dataset_facets(node: NodeInfo, namespace: str) -> dict[str, DatasetFacet]:
    """dataSource, and schema, documentation and ownership where the manifest has them."""
    facets: dict[str, DatasetFacet] = {
        "dataSource": datasource_dataset.DatasourceDatasetFacet(
            name=namespace, uri=namespace, producer=PRODUCER
        ),
    }
    if node.columns:
        facets["schema"] = schema_dataset.SchemaDatasetFacet(
            fields=[
                schema_dataset.SchemaDatasetFacetFields(
                    name=column.name, type=column.data_type, description=column.description
                )
                for column in node.columns
            ],
            producer=PRODUCER,
        )
    if node.description:
        facets["documentation"] = documentation_dataset.DocumentationDatasetFacet(
            description=node.description, producer=PRODUCER
        )
    if node.owners:
        facets["ownership"] = ownership_dataset.OwnershipDatasetFacet(
            owners=[ownership_dataset.Owner(name=owner) for owner in node.owners],
            producer=PRODUCER,
        )
    return facets


def assertions_facet(
    test: NodeInfo, result: NodeResult
) -> data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet:
    return data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
        assertions=[
            data_quality_assertions_dataset.Assertion(
                assertion=test.test_name or test.name,
                # A warn-severity test that found rows did not fail the pipeline.
                success=result.status in (NodeStatus.SUCCESS, NodeStatus.WARN),
                column=test.column_name,
                severity=test.severity,
                name=test.name,
            )
        ],
        producer=PRODUCER,
    )
