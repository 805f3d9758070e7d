"""DBT_LOCK: one owner of dbt's globals at a time, a thread or a warm executor's threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from floe_dbt_inprocess import DbtLock


def _in_thread(target: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_exclusive_is_reentrant_and_excludes_other_threads() -> None:
    lock = DbtLock()
    entered = threading.Event()

    def other() -> None:
        with lock:
            entered.set()

    with lock, lock:  # nested in one thread: no deadlock
        thread = _in_thread(other)
        assert not entered.wait(0.2)
    thread.join(5)
    assert entered.is_set()


def test_threads_of_one_group_share_and_activate_once() -> None:
    lock = DbtLock()
    activations: list[str] = []
    inside = threading.Barrier(3, timeout=5)

    def member() -> None:
        with lock.shared("a", lambda: activations.append("a")):
            inside.wait()  # all three hold the lock at once, or this times out

    threads = [_in_thread(member) for _ in range(3)]
    for thread in threads:
        thread.join(5)
    assert activations == ["a"]
    with lock.shared("a", lambda: activations.append("a")):
        pass
    assert activations == ["a"]  # still the owner's globals: no second activation


def test_another_group_or_an_exclusive_holder_waits_and_reactivates() -> None:
    lock = DbtLock()
    log: list[str] = []
    release = threading.Event()

    def group_a() -> None:
        with lock.shared("a", lambda: log.append("activate a")):
            log.append("a runs")
            release.wait(5)
            time.sleep(0.05)
            log.append("a done")

    def group_b() -> None:
        with lock.shared("b", lambda: log.append("activate b")):
            log.append("b runs")

    def exclusive() -> None:
        with lock:
            log.append("exclusive")

    first = _in_thread(group_a)
    while "a runs" not in log:
        time.sleep(0.01)
    others = [_in_thread(group_b), _in_thread(exclusive)]
    time.sleep(0.1)
    assert log == ["activate a", "a runs"]  # b and the exclusive holder wait
    release.set()
    for thread in [first, *others]:
        thread.join(5)
    assert log[:3] == ["activate a", "a runs", "a done"]
    assert set(log[3:]) == {"activate b", "b runs", "exclusive"}
    log.clear()
    with lock:  # e.g. a dbtRunner invocation, which resets dbt's adapters
        pass
    with lock.shared("b", lambda: log.append("activate b")):
        pass
    assert log == ["activate b"]  # the group installs its globals again


def test_a_failing_activation_leaves_the_lock_free() -> None:
    lock = DbtLock()

    def broken() -> None:
        raise RuntimeError("cannot activate")

    with pytest.raises(RuntimeError, match="cannot activate"), lock.shared("a", broken):
        pass
    acquired = threading.Event()
    _in_thread(lambda: (lock.acquire(), acquired.set(), lock.release())).join(5)
    assert acquired.is_set()


def test_release_by_a_thread_that_does_not_hold_it_is_an_error() -> None:
    lock = DbtLock()
    with pytest.raises(RuntimeError, match="does not hold"):
        lock.release()
