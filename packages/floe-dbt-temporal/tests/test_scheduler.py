from __future__ import annotations

from floe_core import NodeStatus, RunStatus
from floe_dbt_temporal._scheduler import DagScheduler

#   a -> b -> c        d (independent)     e <- (b, d)
IDS = ["a", "b", "c", "d", "e"]
PARENTS = [(), (0,), (1,), (), (1, 3)]


def test_a_node_starts_as_soon_as_its_own_parents_are_done() -> None:
    scheduler = DagScheduler(IDS, PARENTS, fail_fast=False)
    assert scheduler.take_ready(10) == ["a", "d"]
    assert scheduler.complete("a", NodeStatus.SUCCESS) == []
    assert scheduler.take_ready(10) == ["b"]  # d still running: no level barrier
    scheduler.complete("b", NodeStatus.SUCCESS)
    assert scheduler.take_ready(10) == ["c"]  # e waits for d
    scheduler.complete("d", NodeStatus.WARN)
    assert scheduler.take_ready(10) == ["e"]


def test_the_concurrency_cap_limits_what_is_taken() -> None:
    scheduler = DagScheduler(IDS, PARENTS, fail_fast=False)
    assert scheduler.take_ready(1) == ["a"]
    assert scheduler.take_ready(1) == ["d"]


def test_a_failure_skips_descendants_only() -> None:
    scheduler = DagScheduler(IDS, PARENTS, fail_fast=False)
    scheduler.take_ready(10)
    assert sorted(scheduler.complete("a", NodeStatus.FAIL)) == ["b", "c", "e"]
    assert scheduler.skip_reasons["c"] == "an upstream node (a) fail"
    scheduler.complete("d", NodeStatus.SUCCESS)
    assert scheduler.take_ready(10) == []
    assert scheduler.finished
    assert scheduler.run_status is RunStatus.FAILED


def test_fail_fast_stops_scheduling_but_lets_running_nodes_finish() -> None:
    scheduler = DagScheduler(IDS, PARENTS, fail_fast=True)
    scheduler.take_ready(10)  # a and d running
    assert sorted(scheduler.complete("a", NodeStatus.ERROR)) == ["b", "c", "e"]
    assert scheduler.stopped
    assert not scheduler.finished
    scheduler.complete("d", NodeStatus.SUCCESS)
    assert scheduler.finished


def test_restore_replays_outcomes_after_continue_as_new() -> None:
    scheduler = DagScheduler(IDS, PARENTS, fail_fast=False)
    scheduler.restore("a", NodeStatus.SUCCESS)
    scheduler.restore("d", NodeStatus.SUCCESS)
    assert scheduler.take_ready(10) == ["b"]


def test_fail_fast_turned_on_after_a_failure_stops_at_once() -> None:
    scheduler = DagScheduler(IDS, PARENTS, fail_fast=False)
    scheduler.take_ready(10)  # a, d
    scheduler.complete("d", NodeStatus.ERROR)  # skips e
    assert scheduler.set_fail_fast(True) == ["b", "c"]  # a still runs and finishes
    assert scheduler.stopped
    scheduler.complete("a", NodeStatus.SUCCESS)
    assert scheduler.take_ready(10) == []
    assert scheduler.finished


def test_fail_fast_turned_off_lets_the_run_go_on_after_a_failure() -> None:
    scheduler = DagScheduler(IDS, PARENTS, fail_fast=True)
    assert scheduler.set_fail_fast(False) == []  # no failure yet: nothing to stop
    scheduler.take_ready(10)
    assert scheduler.complete("d", NodeStatus.ERROR) == ["e"]
    scheduler.complete("a", NodeStatus.SUCCESS)
    assert scheduler.take_ready(10) == ["b"]
