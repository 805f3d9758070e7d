"""A client that stops following a dbt Cloud run leaves it ``detached`` in the results store;
attaching follows the same run to its end and never triggers another."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from floe_core import DBTInvocation, DetachRequested, RunDetachedError, RunStatus
from floe_core.artifacts import ResultsStore, read_index
from floe_dbt_cloud import CloudRuntime
from floe_dbt_cloud.testing import FakeDbtCloud

pytestmark = pytest.mark.slow  # real dbt through the fake


def test_a_detached_run_is_followed_again_and_never_triggered_twice(
    fake: FakeDbtCloud,
    make_runtime: Callable[..., CloudRuntime],
    invocation: DBTInvocation,
    job_id: int,
    tmp_path: Path,
) -> None:
    fake.faults.slow_run(seconds=1)

    def sigterm_at_first_poll(seconds: float) -> None:
        raise DetachRequested

    store = ResultsStore(tmp_path / "results")
    client = CloudRuntime(fake.cloud_config(job_id), sleep=sigterm_at_first_poll)
    with client.events.subscribed(store), pytest.raises(RunDetachedError) as raised:
        client.build(store.prepare(invocation))
    client.close()
    (run,) = fake.runs()
    assert raised.value.handle.external_id == str(run.id)
    [record] = read_index(tmp_path / "results", "tiny")
    assert record.status is RunStatus.DETACHED
    assert record.handle == raised.value.handle

    follower = make_runtime()
    with follower.events.subscribed(store):
        result = follower.attach(
            record.command,
            invocation,
            record.handle,
            project_name=record.project,
            started_at=record.started_at,
        )
    assert result.status is RunStatus.SUCCESS, result.error
    assert result.metadata["dbt_cloud_run_id"] == run.id
    [final] = read_index(tmp_path / "results", "tiny")
    assert (final.status, final.nodes, final.started_at) == (
        RunStatus.SUCCESS,
        3,
        record.started_at,
    )
    assert len(fake.runs()) == 1
    triggers = [r for r in fake.requests if r.method == "POST" and r.path.endswith("/run/")]
    assert len(triggers) == 1
