from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.__main__ import main


@pytest.mark.slow
def test_one_run_times_floe_runtimes_beside_their_dbt_baseline(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    markdown = tmp_path / "benchmarks.md"

    code = main(
        [
            "--sizes", "6", "--layers", "3", "--rows", "10",
            "--subjects", "floe-build", "--repetitions", "1",
            "--workdir", str(tmp_path / "work"), "--json", str(out), "--markdown", str(markdown),
        ]
    )  # fmt: skip

    document = json.loads(out.read_text())
    results = {row["subject"]: row for row in document["sizes"][0]["results"]}
    assert code == 0, {name: (row["error"], row["samples"]) for name, row in results.items()}
    assert set(results) == {"dbt-build", "floe-build[local]", "floe-build[cloud]"}
    assert all(len(row["samples"]) == 1 and row["failures"] == 0 for row in results.values())
    assert results["floe-build[local]"]["wall_ratio"] > 0
    cloud = results["floe-build[cloud]"]
    assert 0 < cloud["samples"][0]["extra"]["server_seconds"] < cloud["wall_seconds"]["median"]
    assert "| floe-build[local] | dbt-build |" in markdown.read_text()
