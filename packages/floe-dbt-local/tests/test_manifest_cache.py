"""An unchanged project is parsed once per process; any change invalidates the cache."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from floe_core import DBTInvocation, GeneratedProfile
from floe_core.profiles import MaterializedProfile
from floe_dbt_local import LocalRuntime, LocalRuntimeConfig
from floe_dbt_local._manifest_cache import manifest_fingerprint

MakeInvocation = Callable[..., DBTInvocation]
SHOP_DIR = Path(__file__).resolve().parents[3] / "examples" / "shop"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "shop"
    shutil.copytree(SHOP_DIR, target, ignore=shutil.ignore_patterns("target", "logs"))
    return target


def _profile(tmp_path: Path) -> MaterializedProfile:
    (tmp_path / "profiles.yml").write_text("floe: {}\n")
    return MaterializedProfile(profiles_dir=tmp_path, profile_name="floe", target="dev")


def test_fingerprint_is_stable_and_sees_every_input(project: Path, tmp_path: Path) -> None:
    profile = _profile(tmp_path)
    key = manifest_fingerprint(project, profile, None, {})
    assert manifest_fingerprint(project, profile, None, {}) == key
    assert manifest_fingerprint(project, profile, "prod", {}) != key
    assert manifest_fingerprint(project, profile, None, {"fail_model": True}) != key

    macro = project / "macros" / "cents_to_currency.sql"
    macro.write_text(macro.read_text() + "\n")
    edited = manifest_fingerprint(project, profile, None, {})
    assert edited != key
    (project / "models" / "marts" / "new_model.sql").write_text("select 1 as id\n")
    assert manifest_fingerprint(project, profile, None, {}) != edited


def test_fingerprint_ignores_target_and_logs(project: Path, tmp_path: Path) -> None:
    profile = _profile(tmp_path)
    key = manifest_fingerprint(project, profile, None, {})
    (project / "target").mkdir()
    (project / "target" / "manifest.json").write_text("{}")
    (project / "logs").mkdir()
    (project / "logs" / "dbt.log").write_text("log")
    assert manifest_fingerprint(project, profile, None, {}) == key


@pytest.mark.slow
def test_second_invocation_reuses_the_manifest_and_an_edit_invalidates_it(
    project: Path, tmp_path: Path
) -> None:
    profile = GeneratedProfile(
        outputs={"dev": {"type": "duckdb", "path": str(tmp_path / "db.duckdb"), "threads": 2}}
    )

    def invocation() -> DBTInvocation:
        return DBTInvocation(
            project_dir=project,
            profile=profile,
            select=("stg_products",),
            target_path=tmp_path / "target",
            vars={"cache_test": True},  # its own manifest, never shared with other tests
        )

    runtime = LocalRuntime(LocalRuntimeConfig(profiles_cache_dir=tmp_path / "cache"))
    with runtime:
        first = runtime.compile_project(invocation())
        assert runtime.parse_count == 1
        assert first.metadata["parse_seconds"] > 0
        second = runtime.compile_project(invocation())
        assert runtime.parse_count == 1, "an unchanged project was parsed again"
        assert second.metadata == {"parse_seconds": 0.0, "manifest_cache_hit": True}
        assert runtime.manifest_cache.hits >= 1

        model = project / "models" / "staging" / "stg_products.sql"
        model.write_text(model.read_text().replace("price_cents,", "price_cents, 1 as edited,"))
        stat = model.stat()  # some filesystems have coarse mtimes: make the edit visible
        os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        third = runtime.compile_project(invocation())
        assert runtime.parse_count == 2
        compiled = third.node("model.shop.stg_products").compiled_code or ""
        assert "1 as edited" in compiled
