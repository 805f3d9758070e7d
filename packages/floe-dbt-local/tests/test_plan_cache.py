"""Plans kept on disk: a new process plans an unchanged project without running dbt."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from floe_core import DBTInvocation, ExecutionPlan, GeneratedProfile, PlannedNode
from floe_dbt_local import LocalRuntime, LocalRuntimeConfig
from floe_dbt_local._plan_cache import PlanCache, plan_key

SHOP_DIR = Path(__file__).resolve().parents[3] / "examples" / "shop"
PLAN = ExecutionPlan(
    project_name="shop",
    nodes=(PlannedNode(unique_id="model.shop.a", name="a", resource_type="model"),),
)


def test_a_stored_plan_is_read_back_until_an_env_var_the_parse_read_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SHOP_SCHEMA", "main")
    plans = PlanCache(tmp_path)
    key = plan_key("fingerprint", ("a+",), (), None)
    assert plans.get(key) is None
    plans.put(key, PLAN, {"SHOP_SCHEMA": "main"})
    assert plans.get(key) == PLAN
    assert plans.get(plan_key("fingerprint", ("b+",), (), None)) is None
    monkeypatch.setenv("SHOP_SCHEMA", "other")
    assert plans.get(key) is None


def test_a_broken_plan_file_is_a_miss(tmp_path: Path) -> None:
    plans = PlanCache(tmp_path)
    key = plan_key("fingerprint", (), (), None)
    plans.put(key, PLAN, {})
    (plans.folder / f"{key}.json").write_text("{not json")
    assert plans.get(key) is None


@pytest.mark.slow
def test_a_new_runtime_plans_an_unchanged_project_without_parsing(tmp_path: Path) -> None:
    project = tmp_path / "shop"
    shutil.copytree(SHOP_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    output = {"type": "duckdb", "path": str(tmp_path / "db.duckdb"), "threads": 2}
    profile = GeneratedProfile(outputs={"dev": output, "other": {**output, "threads": 1}})
    invocation = DBTInvocation(
        project_dir=project, profile=profile, select=("orders+",), vars={"plan_cache": True}
    )
    config = LocalRuntimeConfig(profiles_cache_dir=tmp_path / "profiles")
    with LocalRuntime(config) as first:
        planned = first.plan(invocation)
        assert first.parse_count == 1
    with LocalRuntime(config) as second:  # as a new `floe plan` process would
        assert second.plan(invocation) == planned
        assert second.parse_count == 0, "an unchanged project was parsed to plan it"
        model = project / "models" / "marts" / "customers.sql"
        model.write_text(model.read_text() + "\n-- edited\n")
        stat = model.stat()  # coarse mtimes: make the edit visible
        os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        assert second.plan(invocation).unique_ids == planned.unique_ids
        assert second.parse_count == 1
        # vars, target and profile are inputs of the parse: each change is a new plan
        changes = [
            {"vars": {"plan_cache": False}},
            {"target": "other"},
            {"profile": GeneratedProfile(outputs={"dev": {**output, "threads": 3}})},
        ]
        for parses, change in enumerate(changes, start=2):
            assert second.plan(invocation.model_copy(update=change)) == second.plan(invocation)
            assert second.parse_count == parses, change
        assert second.plan(invocation.model_copy(update=changes[0])) == planned
        assert second.parse_count == len(changes) + 1, "a plan seen before was planned again"


def test_importing_the_runtime_does_not_load_dbts_command_machinery() -> None:
    # a plan-cache hit must not pay dbt-core's ~1.7 s of imports
    probe = "import sys, floe_dbt_local; print('dbt.cli.main' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
