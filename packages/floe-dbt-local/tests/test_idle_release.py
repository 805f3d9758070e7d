"""A long-lived process (the UI, an orchestrator resource) does not keep the DuckDB file
locked between runs: DuckDB accepts one writer process per file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from floe_core import DBTInvocation, GeneratedProfile, RunStatus
from floe_dbt_local import LocalRuntime


def _another_process_can_write(path: Path) -> subprocess.CompletedProcess[str]:
    script = f"import duckdb; duckdb.connect({str(path)!r}).execute('create table t as select 1')"
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)


def test_the_duckdb_file_is_free_after_a_run_of_a_runtime_still_open(
    local_runtime: LocalRuntime, shop_root: Path, tmp_path: Path
) -> None:
    warehouse = tmp_path / "own.duckdb"
    invocation = DBTInvocation(
        project_dir=shop_root / "project",
        profile=GeneratedProfile(outputs={"dev": {"type": "duckdb", "path": str(warehouse)}}),
        select=("raw_customers",),
        target_path=tmp_path / "target",
    )
    assert local_runtime.seed(invocation).status is RunStatus.SUCCESS
    other = _another_process_can_write(warehouse)
    assert other.returncode == 0, other.stderr
