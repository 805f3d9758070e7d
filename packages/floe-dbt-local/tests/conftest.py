"""Session-wide fixtures: one copy of examples/shop on DuckDB and the runs made on it.

Each recorded run is one dbt invocation shared by every test that inspects it, so the
example is built as few times as possible (the whole module set stays within ~2 minutes).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from floe_core import DBTCommand, DBTInvocation, GeneratedProfile
from floe_core.testing.contract import RecordedRun, record
from floe_dbt_local import LocalRuntime, LocalRuntimeConfig

SHOP_DIR = Path(__file__).resolve().parents[3] / "examples" / "shop"

MakeInvocation = Callable[..., DBTInvocation]


@pytest.fixture(scope="session")
def shop_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a private copy of examples/shop (``project``) and its warehouse."""
    root = tmp_path_factory.mktemp("shop")
    shutil.copytree(SHOP_DIR, root / "project", ignore=shutil.ignore_patterns("target", "logs"))
    return root


@pytest.fixture(scope="session")
def shop_profile(shop_root: Path) -> GeneratedProfile:
    return GeneratedProfile(
        outputs={"dev": {"type": "duckdb", "path": str(shop_root / "shop.duckdb"), "threads": 4}}
    )


@pytest.fixture(scope="session")
def shop_invocation(shop_root: Path, shop_profile: GeneratedProfile) -> MakeInvocation:
    """Invocations of the shop copy; each run writes its artifacts to its own folder."""
    counter = iter(range(1_000_000))

    def make(**fields: Any) -> DBTInvocation:
        values: dict[str, Any] = {
            "project_dir": shop_root / "project",
            "profile": shop_profile,
            "threads": 4,
            "target_path": shop_root / "runs" / f"run-{next(counter)}",
        }
        values.update(fields)
        return DBTInvocation.model_validate(values)

    return make


@pytest.fixture(scope="session")
def local_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRuntime]:
    config = LocalRuntimeConfig(profiles_cache_dir=tmp_path_factory.mktemp("profiles-cache"))
    runtime = LocalRuntime(config)
    try:
        yield runtime
    finally:
        runtime.close()


def _record(runtime: LocalRuntime, command: DBTCommand, invocation: DBTInvocation) -> RecordedRun:
    run = record(runtime, command, invocation)
    if run.error is not None:
        raise AssertionError(f"{command} raised instead of returning a result") from run.error
    return run


@pytest.fixture(scope="session")
def shop_build(local_runtime: LocalRuntime, shop_invocation: MakeInvocation) -> RecordedRun:
    """A clean ``build`` of the whole example (the first run: it creates the warehouse)."""
    return _record(local_runtime, DBTCommand.BUILD, shop_invocation())


@pytest.fixture(scope="session")
def shop_fail_model(
    local_runtime: LocalRuntime, shop_invocation: MakeInvocation, shop_build: RecordedRun
) -> RecordedRun:
    """``build`` with ``fail_model``: ``orders`` errors, its descendants are skipped."""
    return _record(local_runtime, DBTCommand.BUILD, shop_invocation(vars={"fail_model": True}))


@pytest.fixture(scope="session")
def shop_fail_test(
    local_runtime: LocalRuntime, shop_invocation: MakeInvocation, shop_build: RecordedRun
) -> RecordedRun:
    """``build`` with ``fail_test``: the singular test fails, nothing is skipped."""
    return _record(local_runtime, DBTCommand.BUILD, shop_invocation(vars={"fail_test": True}))
