"""CPU that column lineage adds per model: openlineage-sql on the models' compiled SQL.

    .venv/bin/python -m bench.column_lineage [--rounds 200] [--project examples/shop]

The project is copied to a temporary folder and compiled once on DuckDB with the local runtime;
then ``column_lineage_facet`` (parse + resolution of the tables to the upstream datasets, what
the lineage worker thread does when a model completes) runs ``rounds`` times over every model's
compiled SQL, in the DAG's order, twice: with the plain parse (``select *`` not expanded), and
with a fresh per-run :class:`RelationColumns` each round (sqlglot expands ``select *`` over
the upstream columns, ADR 0018 addendum). Reported: CPU microseconds per model (median and
slowest model) and the models and column edges found, against the median dbt execution time
of a model in a build of the same project measured in the same run.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from graphlib import TopologicalSorter
from pathlib import Path

from openlineage.client.facet_v2 import column_lineage_dataset

from floe_core import DBTInvocation, GeneratedProfile, RunStatus
from floe_core.lineage._column_lineage import column_lineage_facet
from floe_core.lineage._dbt_manifest import DbtManifest, NodeInfo, load_manifest
from floe_core.lineage._relation_columns import RelationColumns
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
                upstream = manifest.relations(node.depends_on)
                models.append((node, sql, upstream))
        order = list(
            TopologicalSorter({n.unique_id: n.depends_on for n, _, _ in models}).static_order()
        )
        models.sort(key=lambda model: order.index(model[0].unique_id))
        measured = {
            expand: _measure(manifest, models, args.rounds, expand) for expand in (False, True)
        }
        executed = [
            n.execution_time
            for n in result.nodes
            if n.resource_type == "model" and n.execution_time
        ]
    dbt_ms = statistics.median(executed) * 1000
    print(f"{len(models)} models, {args.rounds} rounds")
    for expand, (per_model, with_lineage, edges) in measured.items():
        median_us = statistics.median(per_model.values())
        slowest = max(per_model, key=per_model.__getitem__)
        print(
            f"{'select * expanded' if expand else 'plain parse'}: {with_lineage} models with "
            f"column lineage, {edges} column edges; CPU per model: median {median_us:.0f} us, "
            f"slowest {per_model[slowest]:.0f} us ({slowest}); "
            f"= {median_us / 1000 / dbt_ms:.2%} of the median dbt execution"
        )
    print(f"dbt execution per model in the same run: median {dbt_ms:.1f} ms")


Model = tuple[NodeInfo, str, list[NodeInfo]]


def _measure(
    manifest: DbtManifest, models: list[Model], rounds: int, expand: bool
) -> tuple[dict[str, float], int, int]:
    """CPU microseconds per model, models with a facet, column edges (of the last round)."""
    cpu = dict.fromkeys((node.name for node, _, _ in models), 0.0)
    facets: dict[str, column_lineage_dataset.ColumnLineageDatasetFacet | None] = {}
    for _ in range(rounds):
        known = RelationColumns(manifest, manifest.compiled_sql) if expand else None
        for node, sql, upstream in models:
            began = time.process_time()
            facets[node.name] = column_lineage_facet(
                sql, "duckdb", node, upstream, "duckdb://bench", known
            )
            cpu[node.name] += time.process_time() - began
    found = [facet for facet in facets.values() if facet is not None]
    edges = sum(len(field.inputFields) for facet in found for field in facet.fields.values())
    per_model = {name: spent / rounds * 1e6 for name, spent in cpu.items()}
    return per_model, len(found), edges


if __name__ == "__main__":
    main()
