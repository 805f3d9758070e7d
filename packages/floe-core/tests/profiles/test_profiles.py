"""compute -> dbt profile, and putting it on disk for dbt."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from floe_core import GeneratedProfile, ManifestError, ProfileError, ProfilesDirProfile
from floe_core.manifest import PlatformManifest, parse_manifest
from floe_core.profiles import materialize_profile, profile_source_for

SECRET = "pg-Secret-value-never-written"

HEADER = """\
apiVersion: floe.dev/v1
kind: PlatformManifest
plugins: {dbt_runtime: {type: local}}
"""


def manifest(tmp_path: Path, body: str) -> PlatformManifest:
    return parse_manifest(HEADER + body, source_path=tmp_path / "platform-manifest.yaml")


def test_duckdb_profile_has_an_absolute_path(tmp_path: Path) -> None:
    source = profile_source_for(
        manifest(
            tmp_path,
            "project: {target: ci}\n"
            "compute: {type: duckdb, config: {path: w/shop.duckdb, threads: 3,"
            " extensions: [httpfs], settings: {memory_limit: 1GB}}}\n",
        )
    )
    assert source == GeneratedProfile(
        profile_name="floe",
        target="ci",
        outputs={
            "ci": {
                "type": "duckdb",
                "path": str(tmp_path.resolve() / "w/shop.duckdb"),
                "schema": "main",
                "threads": 3,
                "extensions": ["httpfs"],
                "settings": {"memory_limit": "1GB"},
            }
        },
    )


def test_a_duckdb_path_that_is_a_folder_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "warehouse").mkdir()
    loaded = manifest(tmp_path, "compute:\n  type: duckdb\n  config:\n    path: warehouse\n")
    with pytest.raises(ProfileError) as error:
        profile_source_for(loaded)
    assert error.value.message.startswith(f"{tmp_path / 'platform-manifest.yaml'}:7: ")
    assert "compute.config.path" in error.value.message
    assert "is a folder, not a DuckDB file" in error.value.message
    assert error.value.hint == "name the database file, e.g. `path: warehouse/warehouse.duckdb`"


def test_duckdb_folder_is_created(tmp_path: Path) -> None:
    database = tmp_path / "fresh" / "warehouse" / "shop.duckdb"
    source = GeneratedProfile(outputs={"dev": {"type": "duckdb", "path": str(database)}})
    materialize_profile(source, cache_dir=tmp_path / "cache")
    assert database.parent.is_dir()
    assert not database.exists()  # the file is DuckDB's to create


def test_in_memory_duckdb_keeps_its_path(tmp_path: Path) -> None:
    source = profile_source_for(
        manifest(tmp_path, "compute: {type: duckdb, config: {path: ':memory:'}}\n")
    )
    assert isinstance(source, GeneratedProfile)
    assert source.target == "dev"
    assert source.outputs["dev"]["path"] == ":memory:"


def test_postgres_secrets_become_dbt_env_vars(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOE_TEST_PG_PASSWORD", SECRET)
    source = profile_source_for(
        manifest(
            tmp_path,
            "compute:\n  type: postgres\n  config: {host: db, user: '${env:FLOE_TEST_PG_USER}',"
            " password: '${env:FLOE_TEST_PG_PASSWORD}', dbname: shop, sslmode: require}\n",
        )
    )
    assert isinstance(source, GeneratedProfile)
    assert source.outputs["dev"] == {
        "type": "postgres",
        "host": "db",
        "port": 5432,
        "user": "{{ env_var('FLOE_TEST_PG_USER') }}",
        "password": "{{ env_var('FLOE_TEST_PG_PASSWORD') }}",
        "dbname": "shop",
        "schema": "public",
        "threads": 4,
        "connect_timeout": 10,
        "sslmode": "require",
    }
    profile = materialize_profile(source, cache_dir=tmp_path / "cache")
    written = (profile.profiles_dir / "profiles.yml").read_text(encoding="utf-8")
    assert SECRET not in written
    assert SECRET not in source.model_dump_json()


def test_existing_profile_resolves_against_the_manifest(tmp_path: Path) -> None:
    source = profile_source_for(
        manifest(tmp_path, "profile: {profiles_dir: conf, profile_name: shop}\n")
    )
    assert source == ProfilesDirProfile(
        profiles_dir=tmp_path.resolve() / "conf", profile_name="shop"
    )


def test_no_compute_and_no_profile_shows_a_compute_example(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as info:
        profile_source_for(manifest(tmp_path, ""))
    assert str(tmp_path / "platform-manifest.yaml") in info.value.message
    assert "compute:" in (info.value.hint or "")
    assert "type: duckdb" in (info.value.hint or "")


def test_generated_profile_is_written_once_per_content(tmp_path: Path) -> None:
    source = GeneratedProfile(outputs={"dev": {"type": "duckdb", "path": "/tmp/x.duckdb"}})
    cache = tmp_path / "cache"
    first = materialize_profile(source, cache_dir=cache)
    profiles_yml = first.profiles_dir / "profiles.yml"
    assert yaml.safe_load(profiles_yml.read_text(encoding="utf-8")) == {
        "floe": {"target": "dev", "outputs": {"dev": {"type": "duckdb", "path": "/tmp/x.duckdb"}}}
    }
    assert (first.profile_name, first.target) == ("floe", "dev")
    mtime = profiles_yml.stat().st_mtime_ns
    os.utime(profiles_yml, ns=(mtime - 10**9, mtime - 10**9))

    again = materialize_profile(source, cache_dir=cache)
    assert again == first
    assert profiles_yml.stat().st_mtime_ns == mtime - 10**9  # not rewritten
    assert [path.name for path in first.profiles_dir.iterdir()] == ["profiles.yml"]

    other = materialize_profile(
        GeneratedProfile(outputs={"dev": {"type": "duckdb", "path": "/tmp/y.duckdb"}}),
        cache_dir=cache,
    )
    assert other.profiles_dir != first.profiles_dir


def test_existing_profiles_dir_is_checked(tmp_path: Path) -> None:
    (tmp_path / "profiles.yml").write_text("shop: {}\n", encoding="utf-8")
    profile = materialize_profile(
        ProfilesDirProfile(profiles_dir=tmp_path, profile_name="shop"), cache_dir=tmp_path / "c"
    )
    assert (profile.profiles_dir, profile.profile_name, profile.target) == (tmp_path, "shop", None)
    assert not (tmp_path / "c").exists()


def test_missing_profiles_yml_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as info:
        materialize_profile(ProfilesDirProfile(profiles_dir=tmp_path / "conf"), cache_dir=tmp_path)
    assert str(tmp_path / "conf" / "profiles.yml") in info.value.message
    assert "profiles_dir" in (info.value.hint or "")


_TARGETS = """\
project: {target: dev}
compute:
  type: duckdb
  config: {path: dev.duckdb}
  targets:
    ci: {type: duckdb, config: {path: ci.duckdb}}
    prod:
      type: postgres
      config: {host: db, user: floe, password: "${env:PG_PASSWORD}", dbname: shop}
"""


def test_compute_declares_one_output_per_target(tmp_path: Path) -> None:
    source = profile_source_for(manifest(tmp_path, _TARGETS))
    assert isinstance(source, GeneratedProfile)
    assert source.target == "dev"
    assert set(source.outputs) == {"dev", "ci", "prod"}
    assert source.outputs["ci"]["path"] == str(tmp_path.resolve() / "ci.duckdb")
    assert source.outputs["prod"]["type"] == "postgres"
    assert source.outputs["prod"]["password"] == "{{ env_var('PG_PASSWORD') }}"


def test_each_target_has_its_lineage_namespace(tmp_path: Path) -> None:
    from floe_core.warehouses import namespace_by_target

    namespace = namespace_by_target(manifest(tmp_path, _TARGETS))
    assert namespace(None) == namespace("dev") == f"duckdb://{tmp_path.resolve() / 'dev.duckdb'}"
    assert namespace("prod") == "postgres://db:5432"


def test_a_bad_setting_of_another_target_is_located(tmp_path: Path) -> None:
    (tmp_path / "ci.duckdb").mkdir()
    with pytest.raises(ProfileError) as error:
        profile_source_for(manifest(tmp_path, _TARGETS))
    assert error.value.message.startswith(f"{tmp_path / 'platform-manifest.yaml'}:9: ")
    assert "compute.targets.ci.config.path" in error.value.message


def test_a_target_may_not_repeat_the_manifests_own(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match=r"compute\.targets\.dev repeats"):
        manifest(tmp_path, _TARGETS.replace("ci:", "dev:"))
