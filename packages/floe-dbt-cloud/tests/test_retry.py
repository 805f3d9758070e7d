"""``floe retry`` and ``--retry-failed`` on dbt Cloud: the project's last stored run is
retried through ``POST runs/{id}/retry/`` (the fake runs real ``dbt retry``), and the retry
is recorded as linked to the run it retries."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest

from floe_core import DBTCommand, NodeStatus, RunStatus, RuntimeExecutionError
from floe_core.api import Floe
from floe_dbt_cloud.testing import FakeDbtCloud
from floe_dbt_inprocess import retryable_node_ids

pytestmark = pytest.mark.slow  # real dbt through the fake


def _floe(fake: FakeDbtCloud, project: Path, tmp_path: Path, **options: Any) -> Floe:
    manifest = tmp_path / "platform-manifest.yaml"
    manifest.write_text(
        "apiVersion: floe.dev/v1\nkind: PlatformManifest\n"
        f"project: {{dir: {project}}}\n"
        "plugins: {dbt_runtime: {type: local}}\n"
        "compute: {type: duckdb}\n"
        f"artifacts: {{path: {tmp_path / 'results'}}}\n",
        encoding="utf-8",
    )
    config = fake.cloud_config(job_id=42).model_dump(mode="json", exclude_unset=True)
    config["token"] = fake.token  # dumped masked
    return Floe.from_manifest(manifest, runtime="cloud", runtime_config=config, **options)


def _missing_table(fake: FakeDbtCloud, *, exists: bool) -> None:
    with duckdb.connect(str(fake.jobs[42].connection["path"])) as connection:
        if exists:
            connection.execute("create or replace table missing_table as select 1 as x")
        else:
            connection.execute("drop table if exists missing_table")


def _retry_posts(fake: FakeDbtCloud) -> list[str]:
    return [r.path for r in fake.requests if r.method == "POST" and r.path.endswith("/retry/")]


def test_retry_reruns_what_dbt_retry_would_and_is_linked_to_the_run(
    fake: FakeDbtCloud, tiny_project: Path, tmp_path: Path
) -> None:
    _missing_table(fake, exists=False)
    with _floe(fake, tiny_project, tmp_path) as floe:
        store = floe.results
        assert store is not None
        failed = floe.build(vars={"fail_model": True})
        assert failed.status is RunStatus.FAILED
        [failed_record] = store.history.runs("tiny")
        failed_results = json.loads(store.history.read(failed_record, "run_results.json"))
        _missing_table(fake, exists=True)  # fix the cause; the retry re-uses the run's vars
        retried = floe.retry()

        assert retried.command is DBTCommand.RETRY
        assert retried.status is RunStatus.SUCCESS, retried.error
        executed = {node.unique_id for node in retried.nodes}
        assert executed == set(retryable_node_ids(failed_results))
        assert executed == {n.unique_id for n in failed.nodes if n.status is not NodeStatus.SUCCESS}
        first_run, retry_run = fake.runs()
        assert _retry_posts(fake) == [f"/api/v2/accounts/1/runs/{first_run.id}/retry/"]
        assert retry_run.steps[-1].name == "Invoke dbt with `dbt retry`"
        assert retried.metadata["dbt_cloud_run_id"] == retry_run.id

        record = store.history.find("tiny", retried.invocation_id)
        assert record.retry_of == failed.invocation_id
        combined = store.history.result(record)
        ids = [node.unique_id for node in combined.nodes]
        assert sorted(ids) == sorted({n.unique_id for n in failed.nodes})  # every node once
        assert combined.status is RunStatus.SUCCESS

        # The last run (the retry) succeeded: dbt Cloud has nothing to retry, and says so
        # before any run is created.
        with pytest.raises(RuntimeExecutionError, match="RETRY_NOT_FAILED_RUN"):
            floe.retry()
        assert len(fake.runs()) == 2


def test_retry_failed_retries_the_last_run_of_the_selection(
    fake: FakeDbtCloud, tiny_project: Path, tmp_path: Path
) -> None:
    _missing_table(fake, exists=False)
    with _floe(fake, tiny_project, tmp_path) as floe:
        failed = floe.build(select=["numbers+"], vars={"fail_model": True})
    _missing_table(fake, exists=True)
    with _floe(fake, tiny_project, tmp_path, retry_failed=True) as floe:
        retried = floe.build(select=["numbers+"])
        store = floe.results
        assert store is not None
        record = store.history.find("tiny", retried.invocation_id)
    assert retried.status is RunStatus.SUCCESS, retried.error
    assert {n.name for n in retried.nodes} == {"numbers", "doubled", "not_null_doubled_n"}
    assert record.retry_of == failed.invocation_id
    assert len(_retry_posts(fake)) == 1
