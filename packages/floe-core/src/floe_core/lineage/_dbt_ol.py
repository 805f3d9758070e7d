"""``observability.lineage.naming: dbt-ol``: openlineage-dbt's job names, for a migration.

openlineage-dbt (``dbt-ol``, artifact mode, ``integration/common/.../provider/dbt``) names
the invocation ``dbt-run-<project>`` (or ``OPENLINEAGE_DBT_JOB_NAME``) whatever the command;
a model ``<database>.<schema>.<package>.<model>`` (``.build.run`` appended under ``dbt
build``); a snapshot the same with ``.snapshot`` (``.build.snapshot``); each test its
``unique_id``; and it adds one job per tested model, ``<database>.<schema>.<package>.<model>``
+ ``.test`` (``.build.test``), whose run carries the assertions of all the model's tests,
emitted when the invocation ends. dbt-ol emits no seed jobs; floe names them like models with
``.seed`` (``.build.seed``). Datasets keep their names in both modes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from openlineage.client.event_v2 import InputDataset, Job, Run, RunEvent, RunState
from openlineage.client.facet_v2 import DatasetFacet, data_quality_assertions_dataset
from openlineage.client.uuid import generate_new_uuid

from floe_core._events import FloeEvent, NodeFinished, RunFinished, RunStarted
from floe_core._invocation import DBTCommand
from floe_core.lineage._dbt_manifest import NodeInfo
from floe_core.lineage._facets import PRODUCER, TraceIds, job_type_facet
from floe_core.lineage._translator import LineageTranslator, _Invocation

__all__ = ["DbtOlLineageTranslator"]

_SUFFIX = {"model": "run", "snapshot": "snapshot", "seed": "seed"}


def _qualified(node: NodeInfo) -> str:
    """``<database>.<schema>.<package>.<name>``: dbt-ol's unique id without its type."""
    parts = (node.database, node.schema, node.unique_id.split(".", 1)[-1])
    return ".".join(part for part in parts if part)


@dataclass
class _TestedModel:
    node: NodeInfo
    dataset: InputDataset
    assertions: list[data_quality_assertions_dataset.Assertion] = field(default_factory=list)
    started: datetime | None = None
    ended: datetime | None = None


class DbtOlLineageTranslator(LineageTranslator):
    """A :class:`LineageTranslator` with openlineage-dbt's job names and per-model test jobs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tested: dict[str, dict[str, _TestedModel]] = {}

    def get_parent_job_name(self, event: RunStarted) -> str:
        return os.environ.get("OPENLINEAGE_DBT_JOB_NAME") or f"dbt-run-{event.project_name}"

    def get_job_name(self, node: NodeInfo, command: DBTCommand) -> str:
        if node.resource_type == "test":
            return node.unique_id
        build = command is DBTCommand.BUILD
        suffix = _SUFFIX.get(node.resource_type, node.resource_type)
        if node.resource_type == "model" and not build:
            return _qualified(node)
        return f"{_qualified(node)}.{'build.' if build else ''}{suffix}"

    def translate(self, event: FloeEvent, trace: TraceIds | None = None) -> list[RunEvent]:
        invocation = self._invocations.get(event.invocation_id)
        events = super().translate(event, trace)
        if invocation is None:
            return events
        if isinstance(event, NodeFinished) and event.result.resource_type == "test":
            self._remember_assertions(event, events)
        elif isinstance(event, RunFinished):
            tested = self._tested.pop(event.invocation_id, {})
            per_model = [
                e for model in tested.values() for e in self._model_tests(invocation, model)
            ]
            return [*events[:-1], *per_model, events[-1]]  # before the invocation's end
        return events

    def _remember_assertions(self, event: NodeFinished, events: list[RunEvent]) -> None:
        invocation = self._invocations[event.invocation_id]
        manifest = invocation.manifest
        test = manifest.get(event.result.unique_id) if manifest else None
        if test is None or not events:
            return
        tested_ids = [test.attached_node] if test.attached_node else list(test.depends_on)
        models = self._relations(manifest, tested_ids)
        by_name = {model.relation_path: model for model in models}
        tested = self._tested.setdefault(event.invocation_id, {})
        for dataset in events[-1].inputs or []:
            facet = (dataset.inputFacets or {}).get("dataQualityAssertions")
            model = by_name.get(dataset.name)
            if model is None or not isinstance(
                facet, data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet
            ):
                continue
            entry = tested.setdefault(
                model.unique_id,
                _TestedModel(model, InputDataset(namespace=dataset.namespace, name=dataset.name)),
            )
            entry.assertions.extend(facet.assertions)
            result = event.result
            if result.started_at and (entry.started is None or result.started_at < entry.started):
                entry.started = result.started_at
            ended = result.completed_at or event.emitted_at
            if entry.ended is None or ended > entry.ended:
                entry.ended = ended

    def _model_tests(self, invocation: _Invocation, model: _TestedModel) -> list[RunEvent]:
        """START and COMPLETE (FAIL when an error-severity test failed) of the model's tests,
        as dbt-ol sends them."""
        build = invocation.command is DBTCommand.BUILD
        name = f"{_qualified(model.node)}.{'build.' if build else ''}test"
        facet = data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
            assertions=model.assertions, producer=PRODUCER
        )
        dataset = InputDataset(
            namespace=model.dataset.namespace,
            name=model.dataset.name,
            # dbt-ol puts it among the dataset facets too, where older consumers read it.
            facets={"dataQualityAssertions": cast(DatasetFacet, facet)},
            inputFacets={"dataQualityAssertions": facet},
        )
        blocking = any(not a.success and a.severity != "warn" for a in model.assertions)
        run = Run(
            runId=str(generate_new_uuid()), facets=self._node_run_facets(invocation, None, None)
        )
        job = Job(
            namespace=self.job_namespace, name=name, facets={"jobType": job_type_facet("TEST")}
        )
        ended = model.ended or datetime.now().astimezone()
        return [
            RunEvent(
                eventType=event_type,
                eventTime=when.isoformat(),
                run=run,
                job=job,
                inputs=[dataset],
                producer=PRODUCER,
            )
            for event_type, when in (
                (RunState.START, model.started or ended),
                (RunState.FAIL if blocking else RunState.COMPLETE, ended),
            )
        ]
