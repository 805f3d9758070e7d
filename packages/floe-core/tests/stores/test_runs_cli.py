"""``floe runs list/show`` read the runs any machine wrote to the manifest's store (S3 here)."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from floe_core.artifacts import ResultsStore
from floe_core.cli import FloeGroup
from floe_core.cli._runs import runs
from floe_core.manifest import load_manifest
from floe_core.stores import ObjectArtifactStore, open_artifact_store

START = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def manifest_path(
    tmp_path: Path, s3_url: str, s3_options: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> Path:
    monkeypatch.setenv("FLOE_TEST_SECRET", "testing")
    (tmp_path / "dbt_project.yml").write_text("name: shop\nprofile: floe\n")
    path = tmp_path / "platform-manifest.yaml"
    path.write_text(
        textwrap.dedent(f"""\
        apiVersion: floe.dev/v1
        kind: PlatformManifest
        plugins:
          dbt_runtime: {{type: local}}
        artifacts:
          type: s3
          url: {s3_url}
          options:
            endpoint: {s3_options["endpoint"]}
            region: us-east-1
            access_key_id: testing
            secret_access_key: ${{env:FLOE_TEST_SECRET}}
            allow_http: true
        """)
    )
    return path


def floe(*args: str) -> Result:
    """The command as the floe CLI runs it (errors as `error:`/`hint:` lines, exit codes)."""
    return CliRunner().invoke(FloeGroup(name="floe", commands=[runs]), list(args))


def test_runs_are_listed_newest_first_and_shown_by_id_prefix(
    manifest_path: Path, play_run: Callable[..., str]
) -> None:
    writer = ResultsStore(open_artifact_store(load_manifest(manifest_path)))
    older, newer = (play_run(writer, START + timedelta(hours=hour)) for hour in range(2))

    listed = floe("runs", "list", "--manifest", str(manifest_path))
    assert listed.exit_code == 0, listed.stdout
    assert listed.stdout.index(newer) < listed.stdout.index(older)
    assert "1 failed" in listed.stdout

    as_json = floe("runs", "list", "--manifest", str(manifest_path), "--json", "--limit", "1")
    assert [run["invocation_id"] for run in json.loads(as_json.stdout)] == [newer]

    shown = floe("runs", "show", older[:8], "--manifest", str(manifest_path))
    assert shown.exit_code == 0, shown.stdout
    assert f"run {older} of project shop: build on scripted" in shown.stdout
    assert "ERROR in model a (model.shop.a)" in shown.stdout
    assert f"/shop/{older}/result.json" in shown.stdout
    assert f"/shop/{older}/events.jsonl" in shown.stdout


def test_latest_shows_the_newest_run_and_how_it_was_asked(
    manifest_path: Path, play_run: Callable[..., str]
) -> None:
    none_yet = floe("runs", "show", "latest", "--manifest", str(manifest_path))
    assert none_yet.exit_code == 2
    assert "error: project 'shop' has no runs yet" in none_yet.stderr
    writer = ResultsStore(open_artifact_store(load_manifest(manifest_path)))
    _, newer = (play_run(writer, START + timedelta(hours=hour)) for hour in range(2))
    shown = floe("runs", "show", "latest", "--manifest", str(manifest_path), "--project", "shop")
    assert shown.exit_code == 0, shown.output
    assert f"run {newer} of project shop" in shown.stdout
    asked = 'runtime=scripted target=prod select=a+ exclude=b vars={"days": 1}'
    assert f"invocation: {asked}" in shown.stdout
    listed = floe("runs", "list", "--verbose", "--manifest", str(manifest_path))
    assert listed.exit_code == 0, listed.output
    assert listed.stdout.count("select=a+ exclude=b") == 2
    ended = floe("runs", "fail-fast", "latest", "on", "--manifest", str(manifest_path))
    assert ended.exit_code == 2
    assert f"error: run {newer} has ended (failed): there is nothing to change" in ended.stderr


def test_an_unknown_or_corrupted_run_is_an_error_naming_it(
    manifest_path: Path, play_run: Callable[..., str]
) -> None:
    store = open_artifact_store(load_manifest(manifest_path))
    invocation_id = play_run(ResultsStore(store), START)

    missing = floe("runs", "show", "0000", "--manifest", str(manifest_path))
    assert missing.exit_code == 2
    assert "error: no run '0000' of project 'shop'" in missing.stderr
    assert "s3://" not in missing.stderr, "no internal paths"
    assert "hint: `floe runs list` shows the runs of project 'shop'" in missing.stderr

    store.put(f"shop/{invocation_id}/result.json", b"{truncated")
    corrupted = floe("runs", "show", invocation_id, "--manifest", str(manifest_path))
    assert corrupted.exit_code == 1
    assert f"shop/{invocation_id}/result.json is corrupted" in corrupted.stderr


def test_without_a_project_to_read_the_name_from_it_asks_for_project(
    manifest_path: Path,
) -> None:
    (manifest_path.parent / "dbt_project.yml").unlink()
    result = floe("runs", "list", "--manifest", str(manifest_path))
    assert result.exit_code == 2
    assert "hint: pass --project NAME" in result.stderr
    assert (
        floe("runs", "list", "--manifest", str(manifest_path), "--project", "shop").exit_code == 0
    )


def test_with_a_fetched_project_the_name_comes_from_its_checkout(
    manifest_path: Path, s3_url: str, s3_options: dict[str, Any], play_run: Callable[..., str]
) -> None:
    (manifest_path.parent / "dbt_project.yml").unlink()
    project_url = f"{s3_url}-project"
    ObjectArtifactStore(project_url, s3_options).put("dbt_project.yml", b"name: shop\n")
    options = json.dumps({**s3_options, "secret_access_key": "${env:FLOE_TEST_SECRET}"})
    source = f"{{type: s3, url: '{project_url}', options: {options}}}"
    manifest_path.write_text(manifest_path.read_text() + f"project:\n  source: {source}\n")
    invocation_id = play_run(ResultsStore(open_artifact_store(load_manifest(manifest_path))), START)

    listed = floe("runs", "list", "--manifest", str(manifest_path))
    assert listed.exit_code == 0, listed.stderr
    assert invocation_id in listed.stdout
