from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench.report import BEGIN, END, read_json, render_markdown, to_json, write_json, write_markdown
from bench.runner import SubjectResult, select_subjects


def _result(
    subject: str, baseline: str | None, action: str, walls: list[float], process_mib: int = 100
) -> SubjectResult:
    result = SubjectResult(subject, "x", action, "local", "warm", baseline, models=100, nodes=200)
    for wall in walls:
        result.samples.append(
            {"wall_seconds": wall, "peak_rss_bytes": 100 * 2**20, "cpu_seconds": wall / 2,
             "child_maxrss_bytes": process_mib * 2**20, "returncode": 0}
        )  # fmt: skip
    return result


def _sizes() -> list[dict[str, Any]]:
    spec = {"models": 100, "tests_per_model": 1, "warehouse": "duckdb"}
    results = [
        _result("dbt-build", None, "build", [10.0, 12.0, 11.0]),
        _result("floe-build[local]", "dbt-build", "build", [11.0, 13.0, 12.0], process_mib=60),
    ]
    return [{"spec": spec, "results": results}]


def test_ratios_overhead_and_targets_come_from_medians() -> None:
    document = to_json({}, _sizes())
    floe = document["sizes"][0]["results"][1]

    assert floe["wall_seconds"] == {"median": 12.0, "min": 11.0, "max": 13.0}
    assert floe["wall_ratio"] == pytest.approx(12 / 11)
    assert floe["rss_ratio"] == 1.0
    assert floe["process_rss_ratio"] == pytest.approx(0.6)  # the largest single process
    assert floe["overhead_ms_per_node"] == pytest.approx(1000 / 200)
    wall_target = next(t for t in document["targets"] if t["metric"] == "wall")
    assert (wall_target["met"], wall_target["limit"]) == (False, 1.05)


def test_markdown_replaces_only_the_generated_section(tmp_path: Path) -> None:
    path = tmp_path / "benchmarks.md"
    path.write_text(f"# Benchmarks\n\nintro\n\n{BEGIN}\nold figures\n{END}\n\n## Notes\nkept\n")
    meta = {
        "command": "python -m bench",
        "finished_at": "now",
        "machine": "m",
        "versions": "v",
        "repetitions": "100: 3",
        "threads": 4,
        "elapsed_seconds": 60,
        "json_path": "r.json",
    }

    write_markdown(path, render_markdown([meta], _sizes()))

    text = path.read_text()
    assert "old figures" not in text
    assert text.startswith("# Benchmarks\n\nintro\n")
    assert text.endswith("## Notes\nkept\n")
    assert "| floe-build[local] | dbt-build | 12.00 s (11.00-13.00) | 1.09x |" in text
    assert "| floe-build[local] wall <= 1.05x dbt-build | 100 | duckdb | 1.09x | **no** |" in text


def test_selecting_a_floe_subject_brings_its_dbt_baseline() -> None:
    names = [s.name for s in select_subjects(["floe-build[local]"])]

    assert names == ["dbt-build", "floe-build[local]"]
    with pytest.raises(ValueError, match="no bench subject matches"):
        select_subjects(["nope"])


def test_overhead_splits_into_fixed_and_marginal_cost_across_sizes() -> None:
    small, large = _sizes()[0], _sizes()[0]
    large["spec"] = {**large["spec"], "models": 1000}
    large["results"] = [
        _result("dbt-build", None, "build", [100.0]),
        _result("floe-build[local]", "dbt-build", "build", [105.0]),
    ]
    for result in large["results"]:
        result.models, result.nodes = 1000, 2000
    meta: dict[str, Any] = {"command": "c", "finished_at": "f", "machine": "m", "versions": "v"}
    meta |= {"repetitions": "r", "threads": 4, "elapsed_seconds": 1, "json_path": "j"}

    text = render_markdown([meta], [small, large])

    # +1 s over 200 nodes, +5 s over 2,000 nodes: 4 s more for 1,800 more nodes.
    assert "| floe-build[local] | +5.0 ms | +2.5 ms | +0.56 s | +2.2 ms |" in text
    # Each subject's own cost grows too: dbt's CPU 5.5 s at 200 nodes, 50 s at 2,000.
    cpu = "100: 5.5 s; 1,000: 50.0 s | +0.6 s, 24.7 ms"
    assert f"| dbt-build | {cpu} | 100: 11.0 s; 1,000: 100.0 s | +1.1 s, 49.4 ms |" in text


def test_a_written_document_renders_the_same_after_reading_it_back(tmp_path: Path) -> None:
    meta: dict[str, Any] = {"command": "c", "finished_at": "f", "machine": "m", "versions": "v"}
    meta |= {"repetitions": "r", "threads": 4, "elapsed_seconds": 1, "json_path": "j"}
    write_json(tmp_path / "run.json", to_json(meta, _sizes()))

    read_meta, sizes = read_json(tmp_path / "run.json")

    assert render_markdown([read_meta], sizes) == render_markdown([meta], _sizes())
