from __future__ import annotations

import json
import re
import sys
import textwrap
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from floe_core.cli import cli
from floe_core.manifest import load_manifest

from .conftest import RUNTIME_SOURCE


def test_init_writes_a_manifest_that_loads_and_refuses_to_overwrite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no ~/.dbt/profiles.yml
    for project in (tmp_path, tmp_path / "shop"):
        project.mkdir(exist_ok=True)
        (project / "dbt_project.yml").write_text("name: shop\nprofile: shop\n")
    runner = CliRunner()
    first = runner.invoke(cli, ["init", "--project-dir", "shop", "--name", "demo"])
    assert first.exit_code == 0
    manifest = load_manifest(tmp_path / "platform-manifest.yaml")
    assert (manifest.metadata.name, manifest.project.dir) == ("demo", Path("shop"))

    again = runner.invoke(cli, ["init"])
    assert again.exit_code == 2
    assert "error: platform-manifest.yaml already exists" in again.stderr
    assert "--force" in again.stderr
    forced = runner.invoke(cli, ["init", "--force"])
    assert forced.exit_code == 0
    assert load_manifest(tmp_path / "platform-manifest.yaml").project.dir == Path(".")


def test_init_refuses_a_folder_without_a_dbt_project(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 2
    assert "dbt_project.yml not found" in result.stderr
    assert not (tmp_path / "platform-manifest.yaml").exists()


def test_init_in_a_dbt_project_uses_its_profile_and_ignores_floe_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    (tmp_path / "dbt_project.yml").write_text("name: jaffle_shop\nprofile: jaffle\n")
    (tmp_path / "profiles.yml").write_text(
        "jaffle: {target: dev, outputs: {dev: {type: duckdb, path: j.duckdb}}}\n"
    )
    (tmp_path / ".gitignore").write_text("target/\n")
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    manifest = load_manifest(tmp_path / "platform-manifest.yaml")
    assert manifest.metadata.name == "jaffle_shop"
    assert manifest.compute is None
    assert manifest.profile is not None
    assert (manifest.profile.profiles_dir, manifest.profile.profile_name) == (Path("."), "jaffle")
    assert (tmp_path / ".gitignore").read_text() == "target/\n.floe/\n"
    CliRunner().invoke(cli, ["init", "--force"])
    assert (tmp_path / ".gitignore").read_text() == "target/\n.floe/\n"


def test_validate_prints_ok_for_a_good_manifest(write_manifest) -> None:
    write_manifest()
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 0, result.output
    assert "ok    runtime: scripted: ScriptedRuntime from floe-scripted 0.3.0" in result.stdout
    assert "ok    project: dbt project 'shop'" in result.stdout
    assert result.stdout.rstrip().endswith("OK")


def test_validate_reports_every_problem_at_once(write_manifest, tmp_path: Path) -> None:
    write_manifest(config="{threads: many}")
    result = CliRunner().invoke(
        cli, ["validate", "--json", "--project-dir", str(tmp_path / "nowhere")]
    )
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    failed = {check["name"] for check in report["checks"] if not check["ok"]}
    assert failed == {"runtime config", "project"}


def test_plugins_list_shows_runtimes_with_distribution_and_health(write_manifest) -> None:
    write_manifest()
    result = CliRunner().invoke(cli, ["plugins", "list", "scripted", "--health"])
    assert result.exit_code == 0, result.output
    [row] = [line for line in result.stdout.splitlines() if line.startswith("scripted")]
    for text in ("floe-scripted", "0.3.0", "<0.2,>=0.1", "1.0 ok", "scripted and ready"):
        assert text in row


def test_plugins_list_reads_package_metadata_and_imports_no_runtime(write_manifest) -> None:
    write_manifest()
    before = set(sys.modules)
    result = CliRunner().invoke(cli, ["plugins", "list"])
    assert result.exit_code == 0, result.output
    [row] = [line for line in result.stdout.splitlines() if line.startswith("scripted")]
    assert row.split() == ["scripted", "│", "floe-scripted", "│", "0.3.0", "│", "<0.2,>=0.1"]
    assert "plugin API" not in result.stdout
    assert not [name for name in set(sys.modules) - before if name.startswith("floe_scripted")]

    checked = CliRunner().invoke(cli, ["plugins", "list", "--check"])
    [row] = [line for line in checked.stdout.splitlines() if line.startswith("scripted")]
    assert row.split()[-2:] == ["1.0", "ok"]


@pytest.mark.parametrize(
    "runtime_source", [RUNTIME_SOURCE.replace('api_version = "1.0"', 'api_version = "2.0"')]
)
def test_a_runtime_for_another_plugin_api_is_listed_as_incompatible_and_refused(
    write_manifest,
) -> None:
    write_manifest()
    runner = CliRunner()
    listing = runner.invoke(cli, ["plugins", "list", "scripted"])
    assert listing.exit_code == 0, listing.output
    [row] = [line for line in listing.stdout.splitlines() if line.startswith("scripted")]
    assert "incompatible: runtime 'scripted'" in row

    build = runner.invoke(cli, ["build"])
    assert build.exit_code == 2, build.output
    refusal = "targets floe plugin API '2.0'; this floe-core provides API 1.0"
    assert refusal in " ".join(build.stderr.split())
    assert "hint:" in build.stderr


def _install_cli_command(site: Path, name: str, source: str) -> str:
    """Install distribution ``floe-<name>`` contributing command ``name``; its module name."""
    module = f"floe_cli_ext_{uuid.uuid4().hex}"
    (site / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    dist_info = site / f"floe_{name}-1.0.0.dist-info"
    dist_info.mkdir()
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: floe-{name}\nVersion: 1.0.0\n", encoding="utf-8"
    )
    (dist_info / "entry_points.txt").write_text(
        f"[floe.cli_commands]\n{name} = {module}:command\n", encoding="utf-8"
    )
    return module


def test_commands_from_entry_points_load_lazily_and_a_broken_one_only_warns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    greet_module = _install_cli_command(
        tmp_path,
        "greet",
        """
        import click

        @click.command()
        def command():
            "Say hello."
            click.echo("hello from a plugin")
        """,
    )
    broken_module = _install_cli_command(
        tmp_path, "broken", "raise ImportError('missing temporalio')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    runner = CliRunner()

    listing = runner.invoke(cli, ["--help"])
    assert listing.exit_code == 0
    assert "build" in listing.stdout
    assert re.search(r"\n  greet +From floe-greet; floe greet --help\.\n", listing.stdout)
    assert re.search(r"\n  broken +From floe-broken; floe broken --help\.\n", listing.stdout)
    assert (greet_module in sys.modules, broken_module in sys.modules) == (False, False)

    greet = runner.invoke(cli, ["greet"])
    assert (greet.exit_code, greet.stdout) == (0, "hello from a plugin\n")
    greet_help = runner.invoke(cli, ["greet", "--help"])
    assert "Say hello." in greet_help.stdout

    broken = runner.invoke(cli, ["broken"])
    assert broken.exit_code == 2
    assert "'broken' from floe-broken could not be loaded" in broken.stderr
    assert "missing temporalio" in broken.stderr


def test_validate_with_another_runtime_does_not_apply_the_manifests_runtime_config(
    write_manifest,
) -> None:
    path = write_manifest(config="{partial_parse: false}")
    path.write_text(path.read_text().replace("type: scripted", "type: local"))
    result = CliRunner().invoke(cli, ["validate", "--runtime", "scripted"])
    assert result.exit_code == 0, result.output
    assert "valid for runtime 'scripted'" in result.stdout
