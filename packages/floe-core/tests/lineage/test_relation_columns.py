"""Which columns an upstream relation has, best source first, and ``select *`` expanded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from floe_core.lineage._column_lineage import column_origins
from floe_core.lineage._dbt_manifest import DbtManifest
from floe_core.lineage._relation_columns import RelationColumns


def _node(uid: str, **extra: Any) -> dict[str, Any]:
    resource_type, _, name = uid.split(".")[:3]
    return {
        "resource_type": resource_type,
        "name": name,
        "database": "db",
        "schema": "main",
        "alias": name,
        "config": {"materialized": "table"},
        **extra,
    }


def _manifest(tmp_path: Path, catalog: dict[str, Any] | None = None) -> DbtManifest:
    (tmp_path / "seeds").mkdir(exist_ok=True)
    (tmp_path / "seeds" / "raw.csv").write_text("\ufeffid, name ,amount\n1,a,2\n")
    raw = {
        "metadata": {"adapter_type": "duckdb"},
        "nodes": {
            "seed.p.raw": _node(
                "seed.p.raw", root_path=str(tmp_path), original_file_path="seeds/raw.csv"
            ),
            "model.p.stg": _node(
                "model.p.stg",
                compiled_code='with s as (select * from "db"."main"."raw") '
                "select id as raw_id, amount from s",
                columns={"raw_id": {"name": "raw_id"}},  # documented: a subset
                depends_on={"nodes": ["seed.p.raw"]},
            ),
            "model.p.mart": _node(
                "model.p.mart",
                compiled_code='select * from "db"."main"."stg"',
                depends_on={"nodes": ["model.p.stg"]},
            ),
            "model.p.documented": _node(
                "model.p.documented", columns={"a": {"name": "a"}, "b": {"name": "b"}}
            ),
        },
    }
    return DbtManifest.from_json(raw, tmp_path / "target" / "manifest.json", catalog)


def test_a_seed_has_its_csv_header_and_a_model_its_parsed_output_columns(
    tmp_path: Path,
) -> None:
    manifest = _manifest(tmp_path)
    known = RelationColumns(manifest, lambda node: node.compiled_code)
    assert known.columns(manifest.nodes["seed.p.raw"]) == ("id", "name", "amount")
    # Parsed (through its star), not the one documented column.
    assert known.columns(manifest.nodes["model.p.stg"]) == ("raw_id", "amount")
    assert known.columns(manifest.nodes["model.p.documented"]) == ("a", "b")
    # A model whose SQL is not known: its documented columns.
    unknown = RelationColumns(manifest, lambda node: None)
    assert unknown.columns(manifest.nodes["model.p.stg"]) == ("raw_id",)


def test_the_catalog_comes_first(tmp_path: Path) -> None:
    columns = {"AMOUNT": {"name": "AMOUNT", "index": 2}, "RAW_ID": {"name": "RAW_ID", "index": 1}}
    catalog = {"nodes": {"model.p.stg": {"columns": columns}}}
    manifest = _manifest(tmp_path, catalog)
    known = RelationColumns(manifest, lambda node: node.compiled_code)
    # In the warehouse's order (the documented spelling of a name kept).
    assert known.columns(manifest.nodes["model.p.stg"]) == ("raw_id", "AMOUNT")
    apart = RelationColumns(manifest, lambda node: None, catalog=lambda uid: ["x"])
    assert apart.columns(manifest.nodes["model.p.stg"]) == ("x",)


def test_origins_follow_the_star_through_a_model_parsed_on_demand(tmp_path: Path) -> None:
    manifest = _manifest(tmp_path)
    known = RelationColumns(manifest, lambda node: node.compiled_code)
    mart = manifest.nodes["model.p.mart"]
    stg = manifest.nodes["model.p.stg"]
    sql = mart.compiled_code or ""
    origins = column_origins(sql, "duckdb", mart, [stg], known)
    assert {column: [(n.name, f) for n, f in found] for column, found in origins.items()} == {
        "raw_id": [("stg", "raw_id")],
        "amount": [("stg", "amount")],
    }
    assert column_origins(sql, "duckdb", mart, [stg]) == {}  # without known columns: none
    # Unreadable SQL leaves the facet out instead of failing.
    assert column_origins("select * from", "duckdb", mart, [stg], known) == {}
