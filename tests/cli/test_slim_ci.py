"""Slim CI through the ``floe`` CLI on examples/slim-ci (the shop with prod and ci targets):
a prod run, a change to one model, a CI run of ``state:modified+`` deferring to prod, a failed
run and its retry; and the state fetched from object storage (moto S3)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner, Result

from floe_core.cli import cli
from floe_core.testing import S3Server

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
RunCommand = Callable[..., Result]
_EXECUTED_TYPES = {"model", "seed", "snapshot", "test", "unit_test"}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Copies of examples/shop and examples/slim-ci side by side; the warehouse file in it."""
    root = tmp_path_factory.mktemp("slim-ci")
    ignore = shutil.ignore_patterns("target", "logs", "dbt_packages", ".floe", "*.duckdb*")
    shutil.copytree(REPO / "examples" / "shop", root / "shop", ignore=ignore)
    shutil.copytree(REPO / "examples" / "slim-ci", root / "slim-ci", ignore=ignore)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SLIM_CI_WAREHOUSE", str(root / "warehouse.duckdb"))
        yield root


@pytest.fixture(scope="module")
def floe(workspace: Path) -> RunCommand:
    manifest = str(workspace / "slim-ci" / "platform-manifest.yaml")

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, [*args, "--manifest", manifest])

    return run


def _json(done: Result) -> dict[str, object]:
    assert done.exit_code in (0, 1), done.stdout + done.stderr
    document: dict[str, object] = json.loads(done.stdout)
    return document


def _node_ids(result: dict[str, object]) -> list[str]:
    return [str(node["unique_id"]) for node in result["nodes"]]  # type: ignore[attr-defined]


def _models(result: dict[str, object]) -> list[str]:
    return [node for node in _node_ids(result) if node.startswith("model.")]


@pytest.fixture(scope="module")
def prod_run(floe: RunCommand, workspace: Path) -> dict[str, object]:
    """The prod build, then the change a pull request makes to one model."""
    built = _json(floe("build", "--json"))
    assert built["status"] == "success"
    with (workspace / "shop" / "models" / "staging" / "stg_orders.sql").open(
        "a", encoding="utf-8"
    ) as sql:
        sql.write("\n-- reviewed in a pull request\n")
    return built


def _dbt_ls(workspace: Path, state: Path, select: str) -> set[str]:
    """What the dbt CLI itself selects with the same state folder (another process)."""
    dbt = Path(sys.executable).with_name("dbt")
    done = subprocess.run(
        [
            str(dbt), "ls", "-s", select, "--state", str(state),
            "--project-dir", str(workspace / "shop"),
            "--profiles-dir", str(workspace / "slim-ci"), "--target", "ci",
            "--target-path", str(workspace / "dbt-cli-target"),
            "--output", "json", "--output-keys", "unique_id", "resource_type", "--quiet",
        ],
        capture_output=True, text=True, check=True, env=os.environ, cwd=workspace,
    )  # fmt: skip
    listed = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {node["unique_id"] for node in listed if node["resource_type"] in _EXECUTED_TYPES}


def test_ci_builds_exactly_what_dbt_selects_by_state_and_defers_to_prod(
    floe: RunCommand, workspace: Path, prod_run: dict[str, object]
) -> None:
    prod_folder = Path(str(prod_run["stored_at"]))
    expected = _dbt_ls(workspace, prod_folder, "state:modified+")
    assert "model.shop.stg_orders" in expected
    assert "model.shop.stg_customers" not in expected

    ci = _json(
        floe("build", "-s", "state:modified+", "--state", "latest:prod", "--defer",
             "--target", "ci", "--json")
    )  # fmt: skip

    assert ci["status"] == "success", ci
    assert sorted(_node_ids(ci)) == sorted(expected)
    with duckdb.connect(str(workspace / "warehouse.duckdb"), read_only=True) as warehouse:
        ci_tables = {
            row[0]
            for row in warehouse.sql(
                "select table_name from information_schema.tables where table_schema = 'ci'"
            ).fetchall()
        }
    # customers joins stg_customers, which CI did not build: it was read from prod
    assert ci_tables == {"stg_orders", "orders", "customers", "daily_revenue"}
    stored = json.loads((Path(str(ci["stored_at"])) / "result.json").read_text())
    assert sorted(stored["metadata"]["state_selected"]) == sorted(expected)
    assert "model.shop.stg_customers" in stored["metadata"]["deferred"]
    assert "model.shop.stg_orders" not in stored["metadata"]["deferred"]
    asked = json.loads((Path(str(ci["stored_at"])) / "invocation.json").read_text())
    assert asked["state"]["ref"] == "latest:prod"
    assert asked["state"]["run_id"] == prod_run["invocation_id"]
    assert asked["state"]["defer"] is True
    shown = floe("runs", "show", str(ci["invocation_id"]))
    assert f"state=latest:prod (run {prod_run['invocation_id']}) defer" in shown.stdout


def test_plan_and_ls_apply_state_selectors_with_a_run_id(
    floe: RunCommand, prod_run: dict[str, object]
) -> None:
    run_id = str(prod_run["invocation_id"])[:8]
    planned = _json(floe("plan", "-s", "state:modified", "--state", run_id, "--json"))
    assert _models(planned) == ["model.shop.stg_orders"]
    listed = floe("ls", "-s", "state:new", "--state", "latest:prod", "--output", "name")
    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout.strip() == ""
    untouched = floe("ls", "-s", "result:success", "--state", "latest:prod", "--output", "name")
    assert "stg_customers" in untouched.stdout.split()


def test_defer_without_state_is_refused(floe: RunCommand) -> None:
    done = floe("build", "--defer")
    assert done.exit_code == 2
    assert "--defer and --favor-state need --state" in done.stderr


def test_retry_failed_reruns_only_failed_and_skipped_and_keeps_the_rest(
    floe: RunCommand, prod_run: dict[str, object]
) -> None:
    failed = _json(floe("build", "--vars", "{fail_model: true}", "--json"))
    assert failed["status"] == "failed"
    statuses = {str(n["unique_id"]): n["status"] for n in failed["nodes"]}  # type: ignore[attr-defined]
    not_done = {node for node, status in statuses.items() if status in ("error", "fail", "skipped")}
    assert 0 < len(not_done) < len(statuses)

    retried = _json(floe("build", "--retry-failed", "--vars", "{fail_model: false}", "--json"))

    assert retried["command"] == "retry"
    assert set(_node_ids(retried)) == not_done
    assert retried["status"] == "success"
    shown = floe("runs", "show", str(retried["invocation_id"]), "--json")
    combined = _json(shown)
    ids = _node_ids(combined)
    assert len(ids) == len(set(ids)) == len(statuses)  # every node once
    assert {node["status"] for node in combined["nodes"]} <= {"success", "pass"}  # type: ignore[attr-defined]
    text = floe("runs", "show", str(retried["invocation_id"])).stdout
    assert f"retry_of={failed['invocation_id']}" in text
    # the failed run was no prod state; with its retry the build succeeded and is the state
    listed = floe("ls", "-s", "state:modified", "--state", "latest:prod", "--output", "name")
    assert listed.exit_code == 0, listed.stderr
    assert listed.stdout.split() == []


def test_state_is_fetched_from_object_storage(
    shop_workspace: Callable[[str], Path], s3_server: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest = shop_workspace("slim-ci-s3")
    bucket = s3_server.create_bucket("slim-ci")
    monkeypatch.setenv("SLIM_CI_S3_SECRET", "testing")
    options = json.dumps(s3_server.options(secret_access_key="${env:SLIM_CI_S3_SECRET}"))
    text = manifest.read_text(encoding="utf-8").replace(
        "artifacts: {path: results}",
        f"artifacts: {{type: s3, url: 's3://{bucket}/runs', options: {options}}}",
    )
    manifest.write_text(text, encoding="utf-8")

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, [*args, "--manifest", str(manifest)])

    built = _json(run("seed", "--json"))
    assert str(built["stored_at"]).startswith(f"s3://{bucket}/runs/shop/")
    with (manifest.parent / "shop" / "models" / "staging" / "stg_orders.sql").open("a") as sql:
        sql.write("\n-- changed\n")

    listed = run(
        "ls", "-s", "state:modified", "--state", "latest", "--resource-type", "model",
        "--output", "name",
    )  # fmt: skip

    assert listed.exit_code == 0, listed.stderr
    assert sorted(listed.stdout.split()) == ["stg_orders"]
    fetched = manifest.parent / "shop" / "target" / "floe-state" / str(built["invocation_id"])
    assert (fetched / "manifest.json").is_file()
    assert (fetched / "run_results.json").is_file()


_FRESH_SOURCE = """\
version: 2
sources:
  - name: raw
    schema: main
    tables:
      - name: raw_orders
        config:
          loaded_at_query: "select current_timestamp"
          freshness: {warn_after: {count: 1, period: day}}
"""


def test_source_freshness_gates_a_build_to_what_reads_fresher_sources(
    shop_workspace: Callable[[str], Path],
) -> None:
    manifest = shop_workspace("slim-ci-freshness")
    models = manifest.parent / "shop" / "models"
    (models / "raw.yml").write_text(_FRESH_SOURCE, encoding="utf-8")
    (models / "order_count.sql").write_text(
        "select count(*) as orders from {{ source('raw', 'raw_orders') }}", encoding="utf-8"
    )

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, [*args, "--manifest", str(manifest)])

    assert run("seed").exit_code == 0
    assert run("source", "freshness").exit_code == 0  # what the next build saw
    assert run("build").exit_code == 0
    assert run("source", "freshness").exit_code == 0  # the source got newer data since

    gated = _json(run("build", "-s", "source_status:fresher+", "--state", "latest", "--json"))

    assert gated["status"] == "success"
    assert _models(gated) == ["model.shop.order_count"]
