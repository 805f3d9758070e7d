"""CPU that column lineage adds per model: openlineage-sql on the models' compiled SQL.

    .venv/bin/python -m bench.column_lineage [--rounds 200] [--project examples/shop]

The project is copied to a temporary folder and compiled once on DuckDB with the local runtime;
then ``column_lineage_facet`` (parse + resolution of the tables to the upstream datasets, what
the lineage worker thread does when a model completes) runs ``rounds`` times over every model's
compiled SQL. Reported: CPU microseconds per model (median and slowest model), against the
median dbt execution time of a model in a build of the same project measured in the same run.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from floe_core import DBTInvocation, GeneratedProfile, RunStatus
from floe_core.lineage._column_lineage import column_lineage_facet
from floe_core.lineage._dbt_manifest import load_manifest
from floe_dbt_local import LocalRuntime, LocalRuntimeConfig

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "shop"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--project", type=Path, default=EXAMPLE)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="floe-cl-bench-") as tmp:
        project = Path(tmp) / "project"
        shutil.copytree(args.project, project, ignore=shutil.ignore_patterns("target", "logs"))
        profile = GeneratedProfile(
            outputs={"dev": {"type": "duckdb", "path": str(Path(tmp) / "bench.duckdb")}}
        )
        runtime = LocalRuntime(LocalRuntimeConfig(profiles_cache_dir=Path(tmp) / "profiles"))
        with runtime:
            result = runtime.build(DBTInvocation(project_dir=project, profile=profile))
        assert result.status is RunStatus.SUCCESS, result.error
        assert result.manifest_path is not None
        manifest = load_manifest(result.manifest_path)
        models = []
        for node in manifest.nodes.values():
            sql = manifest.compiled_sql(node) if node.resource_type == "model" else None
            if sql and node.materialization != "ephemeral":
                upstream = [manifest.nodes[u] for u in node.depends_on if u in manifest.nodes]
                models.append((node, sql, upstream))
        per_model: dict[str, float] = {}
        with_lineage = 0
        for node, sql, upstream in models:
            began = time.process_time()
            for _ in range(args.rounds):
                facet = column_lineage_facet(sql, "duckdb", node, upstream, "duckdb://bench")
            per_model[node.name] = (time.process_time() - began) / args.rounds * 1e6
            with_lineage += facet is not None
        executed = [
            n.execution_time
            for n in result.nodes
            if n.resource_type == "model" and n.execution_time
        ]
    median_us = statistics.median(per_model.values())
    slowest = max(per_model, key=per_model.__getitem__)
    dbt_ms = statistics.median(executed) * 1000
    print(f"{len(models)} models ({with_lineage} with column lineage), {args.rounds} rounds")
    print(
        f"column lineage CPU per model: median {median_us:.0f} us, "
        f"slowest {per_model[slowest]:.0f} us ({slowest})"
    )
    print(
        f"dbt execution per model in the same run: median {dbt_ms:.1f} ms "
        f"(column lineage = {median_us / 1000 / dbt_ms:.2%} of it, on the lineage thread)"
    )


if __name__ == "__main__":
    main()
