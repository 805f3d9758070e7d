from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bench.generate import ProjectSpec, generate_project, layer_sizes, main

_REF = re.compile(r"ref\('(\w+)'\)")


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _parents(project: Path) -> dict[str, list[str]]:
    return {
        sql.stem: _REF.findall(sql.read_text(encoding="utf-8"))
        for sql in sorted((project / "models").rglob("*.sql"))
    }


def test_same_seed_same_bytes_other_seed_other_dag(tmp_path: Path) -> None:
    spec = ProjectSpec(models=60, layers=4, fan_in=3, tests_per_model=2, seed=7)
    first = _tree(generate_project(spec, tmp_path / "a"))
    second = _tree(generate_project(spec, tmp_path / "b"))
    other = _tree(
        generate_project(ProjectSpec(models=60, layers=4, fan_in=3, seed=8), tmp_path / "c")
    )

    assert first == second
    sql = {name for name in first if name.endswith(".sql")}
    assert any(first[name] != other[name] for name in sql)


def test_dag_has_the_requested_layers_and_fan_in(tmp_path: Path) -> None:
    spec = ProjectSpec(models=23, layers=5, fan_in=2)
    parents = _parents(generate_project(spec, tmp_path / "p"))

    assert layer_sizes(23, 5) == [5, 5, 5, 4, 4]
    assert len(parents) == 23
    for name, refs in parents.items():
        layer = int(name[1:3])
        if layer == 0:
            assert refs == []
        else:
            assert len(set(refs)) == 2
            assert all(int(ref[1:3]) == layer - 1 for ref in refs)
            assert all(ref in parents for ref in refs)


def test_tests_per_model_lands_in_the_schema_files(tmp_path: Path) -> None:
    project = generate_project(ProjectSpec(models=8, layers=2, tests_per_model=3), tmp_path / "p")

    tests = []
    for schema in (project / "models").rglob("_models.yml"):
        for model in yaml.safe_load(schema.read_text(encoding="utf-8"))["models"]:
            for column in model["columns"]:
                tests += [(model["name"], column["name"], t) for t in column["data_tests"]]
    assert len(tests) == 24
    assert ("m00_0000", "id", "unique") in tests
    assert json.loads((project / "bench_project.json").read_text())["tests_per_model"] == 3


def test_postgres_flavour_uses_generate_series_and_pg_sleep(tmp_path: Path) -> None:
    spec = ProjectSpec(models=4, layers=2, warehouse="postgres", sleep_ms=50)
    project = generate_project(spec, tmp_path / "p")

    root = (project / "models" / "layer_00" / "m00_0000.sql").read_text()
    assert "generate_series(0, 999)" in root
    assert 'pre_hook="select pg_sleep(0.05)"' in root


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"models": 4, "layers": 2, "sleep_ms": 10}, "--sleep-ms needs --warehouse postgres"),
        ({"models": 10, "layers": 5, "fan_in": 3}, "--fan-in 3 exceeds the smallest layer"),
        ({"models": 3, "layers": 4}, "--layers 4 > --models 3"),
        (
            {"models": 4, "layers": 2, "tests_per_model": 4},
            "--tests-per-model must be between 0 and 3",
        ),
    ],
)
def test_bad_shapes_are_refused_with_the_flag_to_fix(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        ProjectSpec(**kwargs)  # type: ignore[arg-type]


def test_cli_reports_a_bad_flag(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--models", "4", "--layers", "2", "--sleep-ms", "5", "--out", str(tmp_path / "p")])

    assert exited.value.code == 2
    assert "--sleep-ms needs --warehouse postgres" in capsys.readouterr().err


@pytest.mark.slow
def test_a_tiny_project_builds_with_real_dbt(tmp_path: Path) -> None:
    spec = ProjectSpec(models=6, layers=3, fan_in=2, tests_per_model=2, rows=50)
    project = generate_project(spec, tmp_path / "project")
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    output = {"type": "duckdb", "path": str(tmp_path / "w.duckdb"), "threads": 2}
    profile = {"floe": {"target": "dev", "outputs": {"dev": output}}}
    (profiles / "profiles.yml").write_text(yaml.safe_dump(profile))

    dbt = Path(sys.executable).parent / "dbt"
    completed = subprocess.run(
        [str(dbt), "build", "--project-dir", str(project), "--profiles-dir", str(profiles)],
        capture_output=True,
        text=True,
        check=False,
        env={"DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "PATH": str(dbt.parent)},
    )

    assert completed.returncode == 0, completed.stdout[-2000:]
    results = json.loads((project / "target" / "run_results.json").read_text())["results"]
    assert len(results) == spec.nodes == 18
    assert {r["status"] for r in results} == {"success", "pass"}
