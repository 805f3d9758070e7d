"""``run_overrides`` from the manifest pass through to the trigger and take effect in the run."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from floe_core import DBTCommand, DBTInvocation, GeneratedProfile, RunStatus
from floe_dbt_cloud import CloudRuntime, RunOverrides
from floe_dbt_cloud._steps import trigger_body
from floe_dbt_cloud.testing import FakeDbtCloud


def test_overrides_pass_through_and_the_command_line_wins() -> None:
    overrides = RunOverrides(
        git_branch="release",
        threads_override=2,
        target_name_override="ci",
        steps_override=("dbt source freshness",),
        generate_docs_override=False,
    )
    invocation = DBTInvocation(
        project_dir=Path("p"), profile=GeneratedProfile(outputs={"dev": {}}), threads=8
    )
    body = trigger_body(DBTCommand.TEST, invocation, project_name="p", overrides=overrides)
    assert body["git_branch"] == "release"
    assert body["threads_override"] == 8  # --threads beats the manifest's default
    assert body["target_name_override"] == "ci"
    assert body["generate_docs_override"] is False
    assert body["steps_override"] == ["dbt source freshness", "dbt test"]
    assert "schema_override" not in body


@pytest.mark.slow
def test_overrides_take_effect_in_the_run(
    fake: FakeDbtCloud, make_runtime: Callable[..., CloudRuntime], invocation: DBTInvocation
) -> None:
    overrides = {
        "git_branch": "release/1.2",
        "schema_override": "ci_4711",
        "threads_override": 3,
        "steps_override": ["dbt seed"],
        "generate_docs_override": True,
        "timeout_seconds_override": 600,
    }
    result = make_runtime(run_overrides=overrides).build(invocation)
    assert result.status is RunStatus.SUCCESS, result.error
    assert {node.name for node in result.nodes} == {"numbers", "doubled", "not_null_doubled_n"}
    (run,) = fake.runs()
    passed = {**overrides, "steps_override": ["dbt seed", "dbt build"]}
    assert {k: run.trigger[k] for k in overrides} == passed
    assert [step.name for step in run.steps[3:]] == [
        "Invoke dbt with `dbt seed`",
        "Invoke dbt with `dbt build`",
        "Invoke dbt with `dbt docs generate`",
    ]
    assert "3 threads, ci_4711" in run.steps[1].logs
    api_run = fake.run_object(run)
    assert (api_run["git_branch"], api_run["has_docs_generated"]) == ("release/1.2", True)
    with duckdb.connect(str(fake.jobs[42].connection["path"]), read_only=True) as warehouse:
        rows = warehouse.execute("select n from ci_4711.doubled order by n").fetchall()
    assert rows == [(2,), (4,), (6,)]
