"""dbt itself reads the profiles floe generates, and they reach a real warehouse."""

from __future__ import annotations

import contextvars
import os
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from dbt.config.profile import Profile, read_profile
from dbt.config.renderer import ProfileRenderer
from dbt_common.context import set_invocation_context

from floe_core.manifest import parse_manifest
from floe_core.profiles import MaterializedProfile, materialize_profile, profile_source_for
from floe_core.testing import PostgresServer

HEADER = """\
apiVersion: floe.dev/v1
kind: PlatformManifest
plugins: {dbt_runtime: {type: local}}
"""


def dbt_credentials(profile: MaterializedProfile) -> Any:
    """The adapter credentials dbt builds from ``profile`` (rendering ``env_var()``)."""

    def render() -> Any:
        set_invocation_context(os.environ)  # what dbtRunner does before reading profiles
        assert profile.profile_name is not None
        raw = read_profile(str(profile.profiles_dir))[profile.profile_name]
        target, data = Profile.render_profile(
            raw, profile.profile_name, profile.target, ProfileRenderer({})
        )
        return Profile._credentials_from_profile(data, profile.profile_name, target)

    return contextvars.copy_context().run(render)


def test_duckdb_profile(tmp_path: Path) -> None:
    manifest = parse_manifest(
        HEADER + "compute: {type: duckdb, config: {path: w/shop.duckdb, schema: raw}}\n",
        source_path=tmp_path / "platform-manifest.yaml",
    )
    profile = materialize_profile(profile_source_for(manifest), cache_dir=tmp_path / "cache")
    credentials = dbt_credentials(profile)
    assert credentials.type == "duckdb"
    assert credentials.path == str(tmp_path.resolve() / "w/shop.duckdb")
    assert credentials.schema == "raw"


@pytest.mark.postgres
def test_postgres_profile_connects_with_the_referenced_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, postgres_server: PostgresServer
) -> None:
    monkeypatch.setenv("FLOE_TEST_PG_PASSWORD", postgres_server.password)
    manifest = parse_manifest(
        HEADER + "compute:\n  type: postgres\n  config:\n"
        f"    host: {postgres_server.host}\n    port: {postgres_server.port}\n"
        f"    user: {postgres_server.user}\n    dbname: {postgres_server.dbname}\n"
        "    password: ${env:FLOE_TEST_PG_PASSWORD}\n",
        source_path=tmp_path / "platform-manifest.yaml",
    )
    profile = materialize_profile(profile_source_for(manifest), cache_dir=tmp_path / "cache")
    profiles_yml = (profile.profiles_dir / "profiles.yml").read_text(encoding="utf-8")
    assert postgres_server.password not in profiles_yml

    credentials = dbt_credentials(profile)
    assert credentials.password == postgres_server.password
    connection = psycopg2.connect(
        host=credentials.host,
        port=credentials.port,
        user=credentials.user,
        password=credentials.password,
        dbname=credentials.database,
    )
    with connection, connection.cursor() as cursor:
        cursor.execute("select current_user")
        assert cursor.fetchone() == (postgres_server.user,)
    connection.close()
