from __future__ import annotations

import threading
from datetime import UTC, datetime

from pydantic import TypeAdapter

from floe_core import (
    EventBus,
    FloeEvent,
    NodeFinished,
    NodeResult,
    NodeStarted,
    NodeStatus,
    RunPlanned,
    events_for_result,
)


def _started(uid: str) -> NodeStarted:
    return NodeStarted(
        invocation_id="inv",
        unique_id=uid,
        name=uid,
        resource_type="model",
        started_at=datetime.now(UTC),
    )


def test_subscribers_receive_events_in_emission_order() -> None:
    bus = EventBus()
    seen: list[str] = []
    bus.subscribe(lambda e: seen.append(e.kind))
    bus.emit(RunPlanned(invocation_id="inv"))
    bus.emit(_started("m.a"))
    assert seen == ["run_planned", "node_started"]


def test_a_failing_subscriber_is_dropped_and_others_still_receive() -> None:
    bus = EventBus()
    calls: list[str] = []

    def broken(event: FloeEvent) -> None:
        calls.append("broken")
        raise RuntimeError("observer bug")

    bus.subscribe(broken)
    bus.subscribe(lambda e: calls.append("ok"))
    bus.emit(_started("m.a"))
    bus.emit(_started("m.b"))
    assert calls == ["broken", "ok", "ok"]


def test_subscribed_block_unsubscribes_on_exit() -> None:
    bus = EventBus()
    seen: list[FloeEvent] = []
    with bus.subscribed(seen.append):
        bus.emit(_started("m.a"))
    bus.emit(_started("m.b"))
    assert [e.unique_id for e in seen if isinstance(e, NodeStarted)] == ["m.a"]


def test_emitting_from_many_threads_delivers_every_event() -> None:
    bus = EventBus()
    seen: list[FloeEvent] = []
    lock = threading.Lock()

    def collect(event: FloeEvent) -> None:
        with lock:
            seen.append(event)

    bus.subscribe(collect)
    threads = [
        threading.Thread(target=lambda i=i: [bus.emit(_started(f"m.{i}.{j}")) for j in range(200)])
        for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 1600


def test_events_round_trip_through_json_by_kind() -> None:
    adapter: TypeAdapter[FloeEvent] = TypeAdapter(FloeEvent)
    event = _started("model.shop.orders")
    assert adapter.validate_json(adapter.dump_json(event)) == event
    assert NodeStatus("success").is_failure is False


def test_a_result_becomes_started_and_finished_or_skipped() -> None:
    ran = NodeResult(
        unique_id="m.a",
        name="a",
        resource_type="model",
        status=NodeStatus.FAIL,
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    started, finished = events_for_result("inv", ran, index=1, total=2)
    assert isinstance(started, NodeStarted)
    assert (started.started_at, started.index, started.total) == (ran.started_at, 1, 2)
    assert isinstance(finished, NodeFinished)
    assert finished.result == ran
    skipped = ran.model_copy(update={"status": NodeStatus.SKIPPED})
    assert [e.kind for e in events_for_result("inv", skipped)] == ["node_skipped"]
