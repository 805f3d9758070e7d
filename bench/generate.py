"""Generate synthetic dbt projects of a chosen shape, deterministically by seed.

A project has ``models`` models spread over ``layers`` layers. Layer 0 models produce
``rows`` rows from nothing; every model of a later layer joins ``fan_in`` distinct models of
the layer above on ``id``, so the SQL is trivial and the figures measure the orchestrator's own
per-node cost. Optional generic tests per model and a per-model ``pg_sleep`` (PostgreSQL only)
add warehouse work. Same arguments, same bytes.

    python -m bench.generate --models 1000 --layers 10 --fan-in 2 --tests-per-model 1 \\
        --rows 1000 --seed 42 --out /tmp/p1000 --warehouse duckdb
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

__all__ = ["PROJECT_NAME", "ProjectSpec", "generate_project", "layer_sizes", "main"]

PROJECT_NAME = "floe_bench"
"""The dbt project name; its profile is ``floe`` like every floe project."""

Warehouse = Literal["duckdb", "postgres"]

# (test name, column) in the order ``--tests-per-model`` adds them.
_TESTS: tuple[tuple[str, str], ...] = (("not_null", "id"), ("unique", "id"), ("not_null", "v"))

SPEC_FILE = "bench_project.json"
"""Written at the project root: the spec that produced the project (the runner reads it)."""


@dataclass(frozen=True)
class ProjectSpec:
    """The shape of a generated project."""

    models: int
    layers: int = 10
    fan_in: int = 2
    tests_per_model: int = 0
    rows: int = 1000
    sleep_ms: int = 0
    seed: int = 42
    warehouse: Warehouse = "duckdb"
    materialized: Literal["table", "view"] = "table"

    def __post_init__(self) -> None:
        if self.models < 1 or self.layers < 1:
            raise ValueError("--models and --layers must be at least 1")
        if self.layers > self.models:
            raise ValueError(
                f"--layers {self.layers} > --models {self.models}: every layer needs a model"
            )
        if self.fan_in < 1:
            raise ValueError("--fan-in must be at least 1")
        smallest = min(layer_sizes(self.models, self.layers))
        if self.layers > 1 and self.fan_in > smallest:
            raise ValueError(
                f"--fan-in {self.fan_in} exceeds the smallest layer ({smallest} models): "
                "lower --fan-in or --layers"
            )
        if not 0 <= self.tests_per_model <= len(_TESTS):
            raise ValueError(f"--tests-per-model must be between 0 and {len(_TESTS)}")
        if self.rows < 1:
            raise ValueError("--rows must be at least 1")
        if self.sleep_ms < 0:
            raise ValueError("--sleep-ms must not be negative")
        if self.sleep_ms and self.warehouse != "postgres":
            raise ValueError("--sleep-ms needs --warehouse postgres (DuckDB has no sleep function)")

    @property
    def tests(self) -> int:
        return self.models * self.tests_per_model

    @property
    def nodes(self) -> int:
        """Nodes ``dbt build`` executes: models plus tests."""
        return self.models + self.tests


def layer_sizes(models: int, layers: int) -> list[int]:
    """Split ``models`` over ``layers`` as evenly as possible, earlier layers first."""
    base, extra = divmod(models, layers)
    return [base + (1 if layer < extra else 0) for layer in range(layers)]


def model_name(layer: int, index: int) -> str:
    return f"m{layer:02d}_{index:04d}"


def _seed_sql(spec: ProjectSpec, salt: int) -> str:
    if spec.warehouse == "duckdb":
        source = f"range({spec.rows}) as r(i)"
    else:
        source = f"generate_series(0, {spec.rows - 1}) as r(i)"
    return f"select i as id, (i * {salt % 97 + 1}) % 1000 as v\nfrom {source}\n"


def _join_sql(parents: Sequence[str]) -> str:
    head, *rest = parents
    values = " + ".join(f"p{i}.v" for i in range(len(parents)))
    lines = [f"select p0.id, {values} as v", f"from {{{{ ref('{head}') }}}} as p0"]
    lines += [
        f"join {{{{ ref('{parent}') }}}} as p{i} on p{i}.id = p0.id"
        for i, parent in enumerate(rest, start=1)
    ]
    return "\n".join(lines) + "\n"


def _config_sql(spec: ProjectSpec) -> str:
    if not spec.sleep_ms:
        return ""
    return f'{{{{ config(pre_hook="select pg_sleep({spec.sleep_ms / 1000:g})") }}}}\n'


def _schema_yml(names: Sequence[str], spec: ProjectSpec) -> str:
    lines = ["version: 2", "", "models:"]
    for name in names:
        lines.append(f"  - name: {name}")
        if not spec.tests_per_model:
            continue
        by_column: dict[str, list[str]] = {}
        for test, column in _TESTS[: spec.tests_per_model]:
            by_column.setdefault(column, []).append(test)
        lines.append("    columns:")
        for column, tests in by_column.items():
            lines += [f"      - name: {column}", "        data_tests:"]
            lines += [f"          - {test}" for test in tests]
    return "\n".join(lines) + "\n"


def _project_yml(spec: ProjectSpec) -> str:
    return (
        f"name: {PROJECT_NAME}\n"
        'version: "1.0.0"\n'
        "config-version: 2\n"
        "profile: floe\n"
        'model-paths: ["models"]\n'
        'clean-targets: ["target", "logs"]\n'
        "models:\n"
        f"  {PROJECT_NAME}:\n"
        f"    +materialized: {spec.materialized}\n"
    )


def generate_project(spec: ProjectSpec, out: Path) -> Path:
    """Write the project for ``spec`` into ``out`` (replacing it) and return ``out``."""
    if out.exists():
        shutil.rmtree(out)
    models_dir = out / "models"
    rng = random.Random(spec.seed)
    previous: list[str] = []
    for layer, size in enumerate(layer_sizes(spec.models, spec.layers)):
        layer_dir = models_dir / f"layer_{layer:02d}"
        layer_dir.mkdir(parents=True)
        names = [model_name(layer, index) for index in range(size)]
        for name in names:
            if previous:
                parents = sorted(rng.sample(previous, spec.fan_in))
                body = _join_sql(parents)
            else:
                body = _seed_sql(spec, rng.randrange(1_000_000))
            (layer_dir / f"{name}.sql").write_text(_config_sql(spec) + body, encoding="utf-8")
        (layer_dir / "_models.yml").write_text(_schema_yml(names, spec), encoding="utf-8")
        previous = names
    (out / "dbt_project.yml").write_text(_project_yml(spec), encoding="utf-8")
    (out / SPEC_FILE).write_text(json.dumps(asdict(spec), indent=2) + "\n", encoding="utf-8")
    return out


def read_spec(project_dir: Path) -> ProjectSpec:
    """The spec a generated project was made from."""
    return ProjectSpec(**json.loads((project_dir / SPEC_FILE).read_text(encoding="utf-8")))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__)
    parser.add_argument("--models", type=int, required=True)
    parser.add_argument("--layers", type=int, default=10)
    parser.add_argument("--fan-in", type=int, default=2)
    parser.add_argument("--tests-per-model", type=int, default=0)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--sleep-ms", type=int, default=0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--warehouse", choices=["duckdb", "postgres"], default="duckdb")
    parser.add_argument("--materialized", choices=["table", "view"], default="table")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        spec = ProjectSpec(
            models=args.models,
            layers=args.layers,
            fan_in=args.fan_in,
            tests_per_model=args.tests_per_model,
            rows=args.rows,
            sleep_ms=args.sleep_ms,
            seed=args.seed,
            warehouse=args.warehouse,
            materialized=args.materialized,
        )
    except ValueError as exc:
        parser.error(str(exc))
    generate_project(spec, args.out)
    print(f"{args.out}: {spec.models} models, {spec.tests} tests, {spec.layers} layers")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
