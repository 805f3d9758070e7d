from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from floe_dbt_temporal import GitProject, LocalProject
from floe_dbt_temporal.cli import _project_option, worker_command


def test_project_options_name_a_path_or_a_git_url(tmp_path: Path) -> None:
    name, entry = _project_option(f"shop={tmp_path}")
    assert name == "shop"
    assert entry.source == LocalProject(path=tmp_path.resolve())
    name, entry = _project_option("crm=https://example.com/acme/crm.git#v2")
    assert entry.source == GitProject(url="https://example.com/acme/crm.git", ref="v2")
    with pytest.raises(click.BadParameter, match="NAME=PATH"):
        _project_option("no-equals-sign")


def test_invalid_settings_are_a_usage_error() -> None:
    result = CliRunner().invoke(worker_command, ["--graceful-shutdown-seconds", "-1"])
    assert result.exit_code == 2
    assert "graceful-shutdown-seconds" in result.output
