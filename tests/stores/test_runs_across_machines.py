"""A real ``floe build`` (dbt-core on DuckDB) keeps its run in S3; another folder with only
the manifest lists it, shows it and reads dbt's artifacts back: nothing stays machine-local."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from click.testing import CliRunner

from floe_core.artifacts import RunHistory
from floe_core.cli import cli
from floe_core.stores import ObjectArtifactStore

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
FLOE = Path(sys.executable).parent / "floe"
BUCKET = "floe-shared"


def _manifest(s3_options: dict[str, Any]) -> str:
    options = json.dumps(s3_options)  # a JSON object is a YAML flow mapping
    return f"""\
apiVersion: floe.dev/v1
kind: PlatformManifest
project: {{dir: shop, target: dev}}
plugins: {{dbt_runtime: {{type: local}}}}
compute: {{type: duckdb, config: {{path: warehouse/shop.duckdb, threads: 2}}}}
artifacts: {{type: s3, url: 's3://{BUCKET}/runs', options: {options}}}
"""


def _floe(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script in a process of its own: the building machine."""
    env = {**os.environ, "FLOE_TEST_S3_SECRET": "testing"}
    return subprocess.run(
        [str(FLOE), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI configures structlog and the root logger: undo it for the tests after us."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.reset_defaults()
    root.handlers, root.level = handlers, level


def test_a_run_built_on_one_machine_is_listed_and_shown_on_another(
    tmp_path: Path, s3_options: dict[str, Any], s3_secret: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    builder, reader = tmp_path / "builder", tmp_path / "reader"
    shutil.copytree(
        REPO / "examples" / "shop",
        builder / "shop",
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", "*.duckdb*"),
    )
    reader.mkdir()
    for machine in (builder, reader):
        (machine / "platform-manifest.yaml").write_text(_manifest(s3_options))

    built = _floe(
        builder, "build", "--select", "+stg_orders", "--exclude", "test_name:relationships"
    )
    assert built.returncode == 0, built.stdout + built.stderr
    assert f"results: s3://{BUCKET}/runs/shop/" in built.stdout
    assert not (builder / ".floe" / "artifacts").exists()

    # the reader, in this process: only the manifest, no project, no files of the build
    monkeypatch.chdir(reader)
    listed = CliRunner().invoke(cli, ["runs", "list", "--project", "shop", "--json"])
    assert listed.exit_code == 0, listed.stderr
    [run] = json.loads(listed.stdout)
    assert (run["command"], run["status"], run["failures"]) == ("build", "success", 0)

    shown = CliRunner().invoke(cli, ["runs", "show", run["invocation_id"][:8], "--project", "shop"])
    assert shown.exit_code == 0, shown.stderr
    assert "stg_orders" in shown.stdout
    assert f"s3://{BUCKET}/runs/shop/{run['invocation_id']}/manifest.json" in shown.stdout

    store = ObjectArtifactStore(
        f"s3://{BUCKET}/runs", {**s3_options, "secret_access_key": "testing"}
    )
    record = RunHistory(store).find("shop", run["invocation_id"])
    assert {
        "events.jsonl",
        "invocation.json",
        "manifest.json",
        "result.json",
        "run_results.json",
    } <= set(record.files)
    run_results = json.loads(RunHistory(store).read(record, "run_results.json"))
    assert {r["unique_id"] for r in run_results["results"]} >= {
        "model.shop.stg_orders",
        "seed.shop.raw_orders",
    }
