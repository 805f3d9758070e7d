"""Run lifecycle under faults, against the fake dbt Cloud executing real dbt on DuckDB.

Every test asserts on the fake's own run list: whatever the network does, one invocation
creates exactly one run, and the outcome reported is the one dbt Cloud reached.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from floe_core import (
    DBTInvocation,
    EventBus,
    FloeEvent,
    NodeFinished,
    NodeStatus,
    RunPlanned,
    RunStatus,
)
from floe_dbt_cloud import CloudRuntime
from floe_dbt_cloud.testing import TRIGGER_PATH, FakeDbtCloud, FakeRun

pytestmark = pytest.mark.slow  # every test runs real dbt through the fake

RUNS_PATH = r"/runs/\d+/$"
TINY_BUILD = {
    "numbers": NodeStatus.SUCCESS,
    "doubled": NodeStatus.SUCCESS,
    "not_null_doubled_n": NodeStatus.SUCCESS,
}


def _statuses(result: object) -> dict[str, NodeStatus]:
    return {node.name: node.status for node in result.nodes}  # type: ignore[attr-defined]


def _trigger_posts(fake: FakeDbtCloud) -> int:
    return sum(1 for r in fake.requests if r.method == "POST" and r.path.endswith("/run/"))


def test_clean_build(
    fake: FakeDbtCloud, make_runtime: Callable[..., CloudRuntime], invocation: DBTInvocation
) -> None:
    result = make_runtime().build(invocation)
    assert result.status is RunStatus.SUCCESS, result.error
    assert _statuses(result) == TINY_BUILD
    assert result.node("model.tiny.doubled").materialization == "view"
    (run,) = fake.runs()
    assert result.metadata["dbt_cloud_run_id"] == run.id
    assert result.run_results_path is not None
    assert result.run_results_path.is_file()
    assert result.manifest_path == invocation.artifacts_dir / "manifest.json"


def test_lost_trigger_response_adopts_the_run_instead_of_starting_another(
    fake: FakeDbtCloud, make_runtime: Callable[..., CloudRuntime], invocation: DBTInvocation
) -> None:
    fake.faults.lose_response()
    result = make_runtime().build(invocation)
    assert result.status is RunStatus.SUCCESS, result.error
    assert _statuses(result) == TINY_BUILD
    assert len(fake.runs()) == 1
    assert _trigger_posts(fake) == 1
    assert fake.faults.fired == [("lose_response", "POST", "/api/v2/accounts/1/jobs/42/run/")]


@pytest.mark.parametrize(
    ("fault", "kwargs", "searches"),
    [
        ("server_error", {}, 2),  # a 5xx may have created a run: look before re-sending
        ("html_502", {}, 2),
        ("rate_limit", {"retry_after": 0.25}, 0),  # a 4xx created nothing: just re-send
        ("server_error", {"status": 408}, 0),
    ],
)
def test_trigger_refused_before_creating_a_run_is_sent_again(
    fake: FakeDbtCloud,
    make_runtime: Callable[..., CloudRuntime],
    invocation: DBTInvocation,
    delays: list[float],
    fault: str,
    kwargs: dict[str, object],
    searches: int,
) -> None:
    getattr(fake.faults, fault)(times=2, method="POST", path=TRIGGER_PATH, **kwargs)
    result = make_runtime().build(invocation)
    assert result.status is RunStatus.SUCCESS, result.error
    assert len(fake.runs()) == 1
    assert _trigger_posts(fake) == 3
    run_lists = [r for r in fake.requests if r.method == "GET" and r.path.endswith("/runs/")]
    assert len(run_lists) == 1 + searches  # the job's newest run, before the first POST
    if fault == "rate_limit":
        assert delays[:2] == [0.25, 0.25]


def test_mixed_faults_lose_nothing(
    fake: FakeDbtCloud, make_runtime: Callable[..., CloudRuntime], invocation: DBTInvocation
) -> None:
    fake.faults.rate_limit(times=1, method="POST", path=TRIGGER_PATH)
    fake.faults.lose_response(times=1)
    fake.faults.rate_limit(times=2, path=RUNS_PATH)
    fake.faults.html_502(times=1, path=r"/runs/$")
    fake.faults.server_error(times=2, path="/graphql")
    fake.faults.html_502(times=1, path="run_results.json")
    fake.faults.slow(delay=0.4, times=1, path="manifest.json")
    fake.faults.redirect(times=1, path=RUNS_PATH)
    events: list[FloeEvent] = []
    bus = EventBus()
    bus.subscribe(events.append)
    runtime = make_runtime(http_timeout_seconds=0.3)
    runtime.events = bus
    result = runtime.build(invocation)
    assert result.status is RunStatus.SUCCESS, result.error
    assert _statuses(result) == TINY_BUILD
    assert len(fake.runs()) == 1
    assert fake.faults.pending() == 0
    finished = {e.result.name for e in events if isinstance(e, NodeFinished)}
    assert finished == set(TINY_BUILD)


def test_floe_timeout_cancels_the_run_and_reads_its_final_status(
    fake: FakeDbtCloud, make_runtime: Callable[..., CloudRuntime], invocation: DBTInvocation
) -> None:
    fake.faults.slow_run(seconds=30)
    result = make_runtime(timeout_seconds=0.3).build(invocation)
    assert result.status is RunStatus.TIMED_OUT
    assert "floe's timeout of 0.3s" in (result.error or "")
    assert "final status is Cancelled" in (result.error or "")
    (run,) = fake.runs()
    assert run.status == 30
    assert any(r.path.endswith(f"/runs/{run.id}/cancel/") for r in fake.requests)
    assert result.nodes == ()


def test_job_timeout_is_reported_as_timeout_not_cancel(
    fake: FakeDbtCloud,
    make_runtime: Callable[..., CloudRuntime],
    invocation: DBTInvocation,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(fake.jobs[42], "timeout_seconds", 0.3)
    fake.faults.slow_run(seconds=30)
    result = make_runtime().build(invocation)
    assert result.status is RunStatus.TIMED_OUT
    assert "exceeded the configured timeout" in (result.error or "")
    assert not any(r.path.endswith("/cancel/") for r in fake.requests)


def test_user_cancel_in_dbt_cloud_is_a_cancel(
    fake: FakeDbtCloud, make_runtime: Callable[..., CloudRuntime], invocation: DBTInvocation
) -> None:
    fake.faults.slow_run(seconds=30)
    runtime = make_runtime()
    original_sleep = runtime._sleep

    def sleep_then_cancel(seconds: float) -> None:
        for run in fake.runs():
            run.finish(30, "Cancelled by user")
        original_sleep(seconds)

    runtime._sleep = sleep_then_cancel
    result = runtime.build(invocation)
    assert result.status is RunStatus.CANCELLED
    assert "Cancelled by user" in (result.error or "")


def test_ctrl_c_cancels_the_remote_run(
    fake: FakeDbtCloud, invocation: DBTInvocation, job_id: int
) -> None:
    fake.faults.slow_run(seconds=30)
    polls: list[float] = []

    def interrupt_on_third_poll(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) == 3:
            raise KeyboardInterrupt

    runtime = CloudRuntime(fake.cloud_config(job_id), sleep=interrupt_on_third_poll)
    with pytest.raises(KeyboardInterrupt):
        runtime.build(invocation)
    runtime.close()
    (run,) = fake.runs()
    assert run.status == 30
    assert run.status_message == "Cancelled by user"


def test_retry_failed_reruns_only_what_failed(
    fake: FakeDbtCloud,
    make_runtime: Callable[..., CloudRuntime],
    invocation: DBTInvocation,
) -> None:
    failing = invocation.model_copy(update={"vars": {"fail_model": True}})
    with duckdb.connect(str(fake.jobs[42].connection["path"])) as connection:
        connection.execute("drop table if exists missing_table")
    first = make_runtime().build(failing)
    assert first.status is RunStatus.FAILED
    assert _statuses(first) == {
        "numbers": NodeStatus.ERROR,
        "doubled": NodeStatus.SKIPPED,
        "not_null_doubled_n": NodeStatus.SKIPPED,
    }
    # Fix the cause in the warehouse, then retry from the failure point.
    warehouse = str(fake.jobs[42].connection["path"])
    with duckdb.connect(warehouse) as connection:
        connection.execute("create or replace table missing_table as select 1 as x")
    fake.faults.lose_response(path=r"/jobs/\d+/rerun/$")
    second = make_runtime(retry_failed=True).run_models(failing)
    assert second.status is RunStatus.SUCCESS, second.error
    assert _statuses(second) == dict.fromkeys(TINY_BUILD, NodeStatus.SUCCESS)
    assert second.metadata["retried_from_failure"] is True
    assert len(fake.runs()) == 2
    assert fake.runs()[1].steps[-1].name == "Invoke dbt with `dbt retry`"


def test_nodes_are_reported_while_the_run_is_still_going(
    fake: FakeDbtCloud, make_runtime: Callable[..., CloudRuntime], invocation: DBTInvocation
) -> None:
    # dbt pauses after `numbers` until floe reports it: only live progress can release it.
    release = fake.faults.hold_after_node("numbers")
    runtime = make_runtime()
    seen_while_running: list[bool] = []

    def on_event(event: FloeEvent) -> None:
        if isinstance(event, NodeFinished) and event.result.name == "numbers":
            seen_while_running.append(not fake.runs()[0].is_complete)
            release.set()

    runtime.events.subscribe(on_event)
    result = runtime.build(invocation)
    assert result.status is RunStatus.SUCCESS, result.error
    assert seen_while_running == [True]
    assert result.elapsed_seconds < 25, "the run waited for the hold to expire"


def test_discovery_outage_only_degrades_progress(
    fake: FakeDbtCloud, make_runtime: Callable[..., CloudRuntime], invocation: DBTInvocation
) -> None:
    fake.faults.server_error(times=1000, path="/graphql")
    result = make_runtime().build(invocation)
    assert result.status is RunStatus.SUCCESS, result.error
    assert _statuses(result) == TINY_BUILD
    graphql_posts = [r for r in fake.requests if r.path == "/graphql"]
    assert len(graphql_posts) == 5  # one query's retries, then progress comes from artifacts


def test_outages_longer_than_the_retry_budget_lose_nothing(
    fake: FakeDbtCloud, make_runtime: Callable[..., CloudRuntime], invocation: DBTInvocation
) -> None:
    # 5 attempts per request: 12 failed polls and 6 failed downloads outlast two budgets.
    fake.faults.server_error(times=12, path=RUNS_PATH)
    fake.faults.html_502(times=6, path="run_results.json")
    result = make_runtime().build(invocation)
    assert result.status is RunStatus.SUCCESS, result.error
    assert _statuses(result) == TINY_BUILD
    assert len(fake.runs()) == 1
    assert fake.faults.pending() == 0


def test_ctrl_c_while_triggering_cancels_the_run_the_lost_answer_created(
    fake: FakeDbtCloud, invocation: DBTInvocation, job_id: int
) -> None:
    fake.faults.slow_run(seconds=30)
    fake.faults.lose_response()

    def interrupt(seconds: float) -> None:  # the backoff before looking for the run
        raise KeyboardInterrupt

    runtime = CloudRuntime(fake.cloud_config(job_id), sleep=interrupt)
    with pytest.raises(KeyboardInterrupt):
        runtime.build(invocation)
    runtime.close()
    (run,) = fake.runs()
    assert run.status == 30


def test_without_discovery_the_plan_carries_the_runs_manifest(
    fake: FakeDbtCloud, make_runtime: Callable[..., CloudRuntime], invocation: DBTInvocation
) -> None:
    events: list[FloeEvent] = []
    runtime = make_runtime(use_discovery=False)
    runtime.events.subscribe(events.append)
    result = runtime.build(invocation)
    assert result.status is RunStatus.SUCCESS, result.error
    (planned,) = [e for e in events if isinstance(e, RunPlanned)]
    assert planned.manifest_path == result.manifest_path
    assert planned.manifest_path is not None
    assert planned.manifest_path.is_file()
    assert set(planned.node_ids) == {node.unique_id for node in result.nodes}
    assert not [r for r in fake.requests if r.path == "/graphql"]


@pytest.mark.parametrize(("fault", "posts"), [("rate_limit", 3), ("lose_response", 2)])
def test_reused_invocation_id_never_adopts_the_earlier_run(
    fake: FakeDbtCloud,
    make_runtime: Callable[..., CloudRuntime],
    invocation: DBTInvocation,
    fault: str,
    posts: int,
) -> None:
    # The first run of this invocation id is cancelled (floe's timeout) and stays tagged.
    fake.faults.slow_run(seconds=30)
    first = make_runtime(timeout_seconds=0.3).build(invocation)
    assert first.status is RunStatus.TIMED_OUT
    getattr(fake.faults, fault)(method="POST", path=TRIGGER_PATH)
    second = make_runtime().build(invocation)
    assert second.status is RunStatus.SUCCESS, second.error
    assert _statuses(second) == TINY_BUILD
    earlier, new = fake.runs()
    assert (earlier.status, new.status) == (30, 10)
    assert second.metadata["dbt_cloud_run_id"] == new.id
    assert _trigger_posts(fake) == posts


def test_lost_trigger_answer_is_found_behind_a_page_of_newer_runs(
    fake: FakeDbtCloud, invocation: DBTInvocation, job_id: int
) -> None:
    # While floe backs off, 120 other runs of the job start (other clients, a schedule):
    # the run floe created is on the second page of the job's newest runs.
    fake.faults.lose_response()
    job = fake.jobs[job_id]

    def others_trigger_meanwhile(seconds: float) -> None:
        time.sleep(min(seconds, 0.05))
        if len(fake.runs()) == 1:
            for _ in range(120):
                run_id, trigger_id = fake.store.next_ids()
                other = FakeRun(run_id, job, {"cause": "schedule"}, [], Path("-"), trigger_id)
                other.finish(10)
                fake.store.add(other)

    with CloudRuntime(fake.cloud_config(job_id), sleep=others_trigger_meanwhile) as runtime:
        result = runtime.build(invocation)
    assert result.status is RunStatus.SUCCESS, result.error
    assert result.metadata["dbt_cloud_run_id"] == fake.runs()[0].id
    assert _trigger_posts(fake) == 1
    pages = [r.query["offset"] for r in fake.requests if r.path.endswith("/runs/")]
    assert pages == [["0"], ["0"], ["100"]]  # baseline, then the search's two pages
