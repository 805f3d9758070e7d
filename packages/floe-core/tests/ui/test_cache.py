"""The workbench's cache loads a key once, however many threads ask for it at the same time."""

from __future__ import annotations

import threading

import pytest

from floe_core.ui._cache import Cache


def test_threads_asking_for_a_key_being_loaded_wait_for_that_one_load() -> None:
    cache = Cache()
    loads: list[int] = []
    release = threading.Event()

    def load() -> str:
        loads.append(1)
        release.wait(5)
        return "parsed"

    answers: list[str] = []
    askers = [
        threading.Thread(target=lambda: answers.append(cache.get(("run", "a"), load)))
        for _ in range(4)
    ]
    for asker in askers:
        asker.start()
    release.set()
    for asker in askers:
        asker.join(5)
    assert answers == ["parsed"] * 4
    assert loads == [1]


def test_a_failed_load_is_not_kept_and_the_oldest_key_goes_first() -> None:
    cache = Cache(size=2)

    def broken() -> str:
        raise ValueError("corrupt")

    with pytest.raises(ValueError, match="corrupt"):
        cache.get(("run", "a"), broken)
    assert cache.get(("run", "a"), lambda: "fixed") == "fixed"
    cache.get(("run", "b"), lambda: "b")
    cache.get(("run", "c"), lambda: "c")
    assert cache.get(("run", "a"), lambda: "loaded again") == "loaded again"
