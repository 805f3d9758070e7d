"""Every bad input: exit 2, ``error:`` naming the problem, a ``hint:``, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from floe_core.cli import cli

NO_COMPUTE = """\
apiVersion: floe.dev/v1
kind: PlatformManifest
project: {dir: project}
plugins: {dbt_runtime: {type: scripted}}
"""


def _assert_config_error(args: list[str], *expected: str) -> None:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: ")
    assert "\nhint: " in result.stderr
    for text in expected:
        assert text in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_missing_manifest(write_manifest) -> None:
    _assert_config_error(["build"], "platform-manifest.yaml: platform manifest not found", "init")


def test_malformed_yaml(write_manifest) -> None:
    write_manifest(text="apiVersion: floe.dev/v1\nplugins: [unclosed\n")
    _assert_config_error(["run"], "platform-manifest.yaml")


def test_unknown_runtime_lists_the_installed_ones(write_manifest) -> None:
    write_manifest()
    _assert_config_error(
        ["build", "--runtime", "spark"], "runtime 'spark' is not installed", "scripted"
    )


def test_wrong_config_type_names_the_field(write_manifest) -> None:
    write_manifest(config="{threads: many}")
    _assert_config_error(["build"], "plugins.dbt_runtime.config.threads", "platform-manifest.yaml:")


def test_missing_project_dir(write_manifest, tmp_path: Path) -> None:
    write_manifest()
    _assert_config_error(
        ["plan", "--project-dir", str(tmp_path / "nowhere")], "no dbt project at", "nowhere"
    )


def test_missing_compute_and_profile(write_manifest) -> None:
    write_manifest(text=NO_COMPUTE)
    _assert_config_error(["test"], "neither 'compute' nor 'profile'", "compute:")


def test_unset_secret_is_named_without_a_value(
    write_manifest, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FLOE_TEST_UNSET_PASSWORD", raising=False)
    write_manifest(
        text=NO_COMPUTE
        + "compute:\n  type: postgres\n  config: {host: localhost, user: u, dbname: d,"
        " password: '${env:FLOE_TEST_UNSET_PASSWORD}'}\n"
    )
    _assert_config_error(["build"], "FLOE_TEST_UNSET_PASSWORD", "platform-manifest.yaml:")


def test_unknown_target_of_a_generated_profile(write_manifest) -> None:
    write_manifest()
    _assert_config_error(["build", "--target", "prod"], "target 'prod' does not exist")


@pytest.mark.parametrize("value", ["[1, 2]", "{unclosed"])
def test_vars_must_be_a_yaml_mapping(write_manifest, value: str) -> None:
    write_manifest()
    result = CliRunner().invoke(cli, ["build", "--vars", value])
    assert result.exit_code == 2
    assert "Invalid value for '--vars'" in result.stderr


def test_unknown_option_is_a_usage_error(write_manifest) -> None:
    result = CliRunner().invoke(cli, ["build", "--no-such-option"])
    assert result.exit_code == 2
    assert "No such option" in result.stderr


def test_retry_failed_on_a_runtime_that_cannot(write_manifest) -> None:
    write_manifest()
    _assert_config_error(
        ["run", "--retry-failed"], "runtime 'scripted' cannot retry from failure", "--select"
    )
