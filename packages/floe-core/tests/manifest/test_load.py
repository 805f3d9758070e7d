"""Loading platform-manifest.yaml: valid files, and every failure located at file:line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from floe_core import ManifestError
from floe_core.manifest import (
    load_manifest,
    parse_manifest,
    starter_manifest,
)

HEADER = """\
apiVersion: floe.dev/v1
kind: PlatformManifest
plugins:
  dbt_runtime:
    type: local
    config: {threads: 4}
"""


def write(tmp_path: Path, body: str, *, header: str = HEADER) -> Path:
    path = tmp_path / "platform-manifest.yaml"
    path.write_text(header + textwrap.dedent(body), encoding="utf-8")
    return path


def load_error(path: Path) -> ManifestError:
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    return info.value


def test_full_manifest_resolves_paths_against_its_folder(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        metadata: {name: shop-demo}
        project: {dir: examples/shop, target: ci, vars: {day: 1}}
        compute:
          type: duckdb
          config: {path: .floe/warehouse/shop.duckdb, threads: 2, extensions: [httpfs]}
        artifacts: {type: local, path: .floe/artifacts}
        observability:
          lineage: {enabled: true, namespace: shop}
          tracing: {enabled: false}
        """,
    )
    manifest = load_manifest(path)

    assert manifest.source_path == path
    assert manifest.base_dir == tmp_path.resolve()
    assert manifest.project_dir() == tmp_path.resolve() / "examples/shop"
    assert manifest.artifacts_dir() == tmp_path.resolve() / ".floe/artifacts"
    assert manifest.runtime.type == "local"
    assert manifest.runtime.config == {"threads": 4}
    assert manifest.compute is not None
    assert manifest.compute.type == "duckdb"
    assert manifest.compute.config.threads == 2
    assert manifest.compute.config.schema_ == "main"
    assert manifest.observability.lineage.namespace == "shop"
    assert manifest.project.vars == {"day": 1}
    assert manifest.locate("plugins.dbt_runtime.config.threads") == f"{path}:6"
    assert manifest.locate("compute.config.extensions[0]") == f"{path}:11"
    # a field not written in the file is located at its nearest written parent
    assert manifest.locate("compute.config.schema") == f"{path}:11"


def test_folder_means_the_manifest_inside_it(tmp_path: Path) -> None:
    write(tmp_path, "")
    assert load_manifest(tmp_path).source_path == tmp_path / "platform-manifest.yaml"


def test_postgres_compute_accepts_a_password_reference(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        compute:
          type: postgres
          config: {host: db, user: floe, password: "${env:PG_PASSWORD}", dbname: shop}
        """,
    )
    compute = load_manifest(path).compute
    assert compute is not None
    assert compute.type == "postgres"
    assert compute.config.port == 5432
    assert compute.config.schema_ == "public"
    assert compute.config.password == "${env:PG_PASSWORD}"


def test_starter_manifest_loads_for_every_runtime(tmp_path: Path) -> None:
    for runtime in ("local", "cloud", "temporal"):
        manifest = parse_manifest(
            starter_manifest("examples/shop", runtime=runtime), source_path=tmp_path / "m.yaml"
        )
        assert manifest.runtime.type == runtime
        assert manifest.project_dir() == tmp_path.resolve() / "examples/shop"
        assert manifest.compute is not None
        assert manifest.compute.type == "duckdb"


def test_starter_manifest_quotes_names_yaml_would_misread() -> None:
    manifest = parse_manifest(starter_manifest("yes", name="123"))
    assert manifest.project.dir == Path("yes")
    assert manifest.metadata.name == "123"


def test_repository_manifest_loads() -> None:
    root = Path(__file__).resolve().parents[4]
    manifest = load_manifest(root / "platform-manifest.yaml")
    assert manifest.runtime.type == "local"
    assert manifest.project_dir() == root / "examples/shop"
    assert manifest.compute is not None
    assert manifest.compute.type == "duckdb"
    assert not manifest.observability.lineage.enabled
    assert not manifest.observability.tracing.enabled


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    path = write(tmp_path, "comptue:\n  type: duckdb\n")
    error = load_error(path)
    assert error.location == f"{path}:7"
    assert error.field == "comptue"
    assert f"{path}:7" in str(error)
    assert "comptue" in error.message
    assert error.hint is not None
    assert "did you mean 'compute'?" in error.hint


def test_unknown_nested_key_inside_a_union_member(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        compute:
          type: postgres
          config:
            hots: db
            host: db
            user: floe
            dbname: shop
        """,
    )
    error = load_error(path)
    assert error.location == f"{path}:10"
    assert error.field == "compute.config.hots"
    assert error.hint is not None
    assert "did you mean 'host'?" in error.hint
    assert "connect_timeout" in error.hint


def test_wrong_type_names_the_expected_type(tmp_path: Path) -> None:
    path = write(tmp_path, "compute:\n  type: duckdb\n  config:\n    threads: many\n")
    error = load_error(path)
    assert error.location == f"{path}:10"
    assert error.field == "compute.config.threads"
    assert "compute.config.threads" in str(error)
    assert error.hint == "expected an integer, got a string"


def test_missing_key_is_located_at_its_parent(tmp_path: Path) -> None:
    path = write(tmp_path, "compute:\n  type: postgres\n  config:\n    host: db\n    user: u\n")
    error = load_error(path)
    assert error.location == f"{path}:9"
    assert error.field == "compute.config.dbname"
    assert error.hint == "add 'dbname' under compute.config"


def test_missing_plugins_section(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "compute: {type: duckdb}\n",
        header="apiVersion: floe.dev/v1\nkind: PlatformManifest\n",
    )
    error = load_error(path)
    assert error.field == "plugins"
    assert error.hint == "add 'plugins' under the top level"


def test_unknown_compute_type_lists_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, "compute:\n  type: oracle\n  config: {host: db}\n")
    error = load_error(path)
    assert error.location == f"{path}:8"
    assert error.field == "compute.type"
    assert error.message.endswith("unknown warehouse type 'oracle'")
    assert error.hint is not None
    assert error.hint.startswith(
        "use one of: bigquery, databricks, duckdb, postgres, redshift, snowflake, trino"
    )
    assert "entry point group floe.warehouses" in error.hint


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("apiVersion: floe.dev/v2\nkind: PlatformManifest\n", "apiVersion"),
        ("apiVersion: floe.dev/v1\nkind: Manifest\n", "kind"),
    ],
)
def test_wrong_api_version_or_kind_shows_the_expected_values(
    tmp_path: Path, header: str, field: str
) -> None:
    path = write(tmp_path, "plugins: {dbt_runtime: {type: local}}\n", header=header)
    error = load_error(path)
    assert error.field == field
    assert error.location == f"{path}:{1 if field == 'apiVersion' else 2}"
    assert error.hint is not None
    assert "apiVersion: floe.dev/v1" in error.hint
    assert "kind: PlatformManifest" in error.hint


def test_compute_and_profile_together_are_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "compute: {type: duckdb}\nprofile: {profiles_dir: ~/.dbt}\n")
    error = load_error(path)
    assert "not both" in error.message
    assert error.location == f"{path}:8"
    assert error.field == "profile"
    assert error.hint == "keep only one of 'compute' and 'profile'"


def test_missing_file_points_at_floe_init(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    error = load_error(path)
    assert error.location == str(path)
    assert str(path) in error.message
    assert error.hint is not None
    assert "floe init" in error.hint


def test_malformed_yaml_names_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "compute:\n  type: [duckdb\n")
    error = load_error(path)
    assert error.location == f"{path}:9"
    assert "not valid YAML (line 9, column 1)" in error.message
    assert error.hint is not None
    assert "YAML syntax" in error.hint


def test_duplicate_keys_are_rejected(tmp_path: Path) -> None:
    path = write(tmp_path, "compute: {type: duckdb}\ncompute: {type: postgres}\n")
    error = load_error(path)
    assert error.location == f"{path}:8"
    assert error.field == "compute"
    assert "first defined on line 7" in error.message
    assert error.hint is not None
    assert "remove one of them" in error.hint


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a\n- b\n"])
def test_empty_or_non_mapping_manifest(tmp_path: Path, text: str) -> None:
    path = tmp_path / "platform-manifest.yaml"
    path.write_text(text, encoding="utf-8")
    error = load_error(path)
    assert str(path) in error.message
    assert error.hint is not None
    assert "apiVersion: floe.dev/v1" in error.hint


def test_constraint_and_choice_errors_say_what_is_allowed(tmp_path: Path) -> None:
    path = write(tmp_path, "compute:\n  type: duckdb\n  config:\n    threads: 0\n")
    assert load_error(path).hint == "use a value >= 1"
    path = write(
        tmp_path,
        "compute:\n  type: postgres\n  config: {host: h, user: u, dbname: d, sslmode: nope}\n",
    )
    error = load_error(path)
    assert error.field == "compute.config.sslmode"
    assert error.hint is not None
    assert error.hint.startswith("use one of: 'disable', 'allow'")


def test_several_problems_are_all_reported(tmp_path: Path) -> None:
    path = write(tmp_path, "compute:\n  type: duckdb\n  config: {threads: x, shema: s}\n")
    error = load_error(path)
    assert error.message.startswith(f"2 problems in {path}:")
    assert "compute.config.threads" in error.message
    assert "did you mean 'schema'?" in error.message


def test_merge_keys_override_without_counting_as_duplicates(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        project:
          vars: {defaults: &duck {threads: 2, path: a.duckdb}}
        compute:
          type: duckdb
          config:
            <<: *duck
            threads: 8
        """,
    )
    manifest = load_manifest(path)
    assert manifest.compute is not None
    assert manifest.compute.type == "duckdb"
    assert (manifest.compute.config.threads, manifest.compute.config.path) == (8, "a.duckdb")
    assert manifest.locate("compute.config.threads") == f"{path}:13"
    assert manifest.locate("compute.config.path") == f"{path}:8"
