"""Recorded histories of real runs that the workflow must replay (Temporal's Replayer, no
server): a change to the workflow that breaks one breaks runs in flight when workers are
upgraded (patch it with ``workflow.patched`` then, and keep the history)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from floe_dbt_temporal._workflow import DbtRunWorkflow

HISTORIES = Path(__file__).with_name("histories")


def _replay_failure(history: WorkflowHistory) -> Exception | None:
    replayer = Replayer(workflows=[DbtRunWorkflow], data_converter=pydantic_data_converter)
    result = asyncio.run(replayer.replay_workflow(history, raise_on_replay_failure=False))
    return result.replay_failure


def test_completions_on_both_sides_of_a_timed_out_workflow_task_replay() -> None:
    """Recorded by test_postgres's kill test on a loaded machine (two ``floe worker``
    processes on PostgreSQL, one SIGKILLed). The killed worker had a workflow task in
    flight; the other one, having answered a ``progress`` query meanwhile (sdk-core then
    keeps the run cached with that task's completions applied), took over and resolved the
    completions from before the timeout and from after it in two activations, where a replay
    resolves them in one. A workflow that handled an activation's completions together
    scheduled other nodes, in another order, on replay (TMPRL1100)."""
    history = WorkflowHistory.from_json(
        "killed-worker",
        (HISTORIES / "worker_killed_mid_workflow_task.json").read_text(encoding="utf-8"),
    )
    types = [event.event_type for event in history.events]
    timed_out = types.index(EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT)
    taken_over = types.index(EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED, timed_out)
    last_completed = max(
        i for i in range(timed_out) if types[i] == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    )
    completed = EventType.EVENT_TYPE_ACTIVITY_TASK_COMPLETED
    assert completed in types[last_completed:timed_out]  # the interleaving it is here for
    assert completed in types[timed_out:taken_over]

    assert _replay_failure(history) is None
