"""dbt in one long-lived process: invocations are serialised and do not leak memory."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from floe_core import DBTInvocation, DBTRunResult, RunStatus
from floe_core.testing.contract import RecordedRun
from floe_dbt_inprocess import DBT_LOCK
from floe_dbt_local import LocalRuntime

pytestmark = pytest.mark.slow

MakeInvocation = Callable[..., DBTInvocation]


def _rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    match = re.search(r"VmRSS:\s+(\d+) kB", status)
    assert match is not None
    return int(match.group(1)) / 1024


def test_twenty_invocations_in_one_process_keep_memory_bounded(
    local_runtime: LocalRuntime, shop_invocation: MakeInvocation, shop_build: RecordedRun
) -> None:
    # Measured on examples/shop: RSS stays within +-5 MB from invocation 5 to 20 (~200 MB
    # total). Keeping one extra manifest, adapter or result set per invocation would grow
    # it by several MB each time, so 20 MB over 15 invocations catches a leak.
    rss: list[float] = []
    for _ in range(20):
        result = local_runtime.run_models(shop_invocation(select=("stg_products",)))
        assert result.status is RunStatus.SUCCESS
        assert len(result.nodes) == 1
        rss.append(_rss_mb())
    growth = rss[-1] - rss[4]
    assert growth < 20, f"RSS grew {growth:.1f} MB over 15 invocations: {rss}"
    assert local_runtime.manifest_cache.hits >= 20


def test_concurrent_invocations_are_serialised_not_mixed(
    local_runtime: LocalRuntime, shop_invocation: MakeInvocation, shop_build: RecordedRun
) -> None:
    invocations = [shop_invocation(select=(name,)) for name in ("stg_products", "stg_customers")]
    results: dict[str, DBTRunResult] = {}

    def run(invocation: DBTInvocation) -> None:
        results[invocation.invocation_id] = local_runtime.run_models(invocation)

    threads = [threading.Thread(target=run, args=(inv,)) for inv in invocations]
    with DBT_LOCK:  # both threads queue behind the lock, then run one after the other
        for thread in threads:
            thread.start()
    for thread in threads:
        thread.join(timeout=120)
    for invocation, name in zip(invocations, ("stg_products", "stg_customers"), strict=True):
        result = results[invocation.invocation_id]
        assert result.status is RunStatus.SUCCESS
        assert [node.name for node in result.nodes] == [name]
