"""invoke_dbt: dbtRunner under DBT_LOCK, nothing of the invocation left in dbt's globals."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from dbt.adapters.factory import FACTORY

from floe_dbt_inprocess import DBT_LOCK, dbt_args, invoke_dbt

pytestmark = pytest.mark.slow


def test_an_invocation_waits_for_the_lock_and_releases_its_adapters(
    shop: tuple[Path, Path], tmp_path: Path
) -> None:
    project, profiles = shop
    args = dbt_args(
        "parse",
        project_dir=project,
        profiles_dir=profiles,
        log_path=tmp_path / "logs",
        target_path=tmp_path / "target",
    )
    events: list[tuple[float, str]] = []
    outcome: dict[str, Any] = {}

    def run() -> None:
        outcome["result"] = invoke_dbt(
            args, callbacks=[lambda msg: events.append((time.monotonic(), msg.info.name))]
        )

    with DBT_LOCK:
        thread = threading.Thread(target=run)
        thread.start()
        time.sleep(0.5)
        released = time.monotonic()
    thread.join(timeout=120)

    assert outcome["result"].success, outcome["result"].exception
    assert events
    assert events[0][0] >= released  # dbt did not start while another owner held the lock
    assert (tmp_path / "target" / "manifest.json").is_file()
    assert not FACTORY.adapters  # released: no connection outlives the invocation
