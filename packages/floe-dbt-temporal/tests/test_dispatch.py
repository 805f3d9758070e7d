from __future__ import annotations

from floe_dbt_temporal._dispatch import batches


def test_ready_nodes_share_activities_only_beyond_the_free_slots() -> None:
    assert batches(["a", "b", "c"], 4) == [("a",), ("b",), ("c",)]
    assert batches(["a", "b", "c", "d", "e"], 2) == [("a", "b", "c"), ("d", "e")]
    assert batches(["a", "b", "c"], 1) == [("a", "b", "c")]
    assert batches([], 3) == []
