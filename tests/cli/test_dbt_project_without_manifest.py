"""``floe`` in a dbt project folder with no platform manifest behaves like the dbt CLI:
the local runtime, dbt's profile resolution and targets, runs kept under ``.floe/``."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from floe_core.artifacts import read_index
from floe_core.cli import cli

pytestmark = pytest.mark.slow

_PROFILES = """\
tiny:
  target: dev
  outputs:
    dev: {type: duckdb, path: dev.duckdb}
    prod: {type: duckdb, path: prod.duckdb}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A dbt project (one model, one test) as the working directory; no profile yet."""
    project = tmp_path / "tiny"
    (project / "models").mkdir(parents=True)
    (project / "dbt_project.yml").write_text(
        "name: tiny\nversion: '1.0'\nconfig-version: 2\nprofile: tiny\n"
    )
    (project / "models" / "one.sql").write_text("select 1 as id")
    (project / "models" / "one.yml").write_text(
        "version: 2\nmodels:\n  - name: one\n    columns:\n      - name: id\n"
        "        data_tests: [unique]\n"
    )
    monkeypatch.chdir(project)
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return project


def _build(*args: str) -> str:
    result = CliRunner().invoke(cli, ["build", *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_build_uses_the_profile_in_the_working_directory_and_keeps_runs_in_the_project(
    project: Path,
) -> None:
    (project / "profiles.yml").write_text(_PROFILES)
    out = _build()
    assert "Done. PASS=2" in out
    # dbt-duckdb resolves the relative path against the working directory, as with dbt
    assert (project / "dev.duckdb").is_file()
    assert not (project / "prod.duckdb").exists()
    [run] = read_index(project / ".floe" / "artifacts", "tiny")
    assert f"results: {project / '.floe' / 'artifacts' / 'tiny' / run.invocation_id}" in out
    listed = CliRunner().invoke(cli, ["runs", "list"])
    assert listed.exit_code == 0, listed.output
    assert run.invocation_id in listed.stdout


def test_target_chooses_among_the_profiles_outputs(project: Path) -> None:
    (project / "profiles.yml").write_text(_PROFILES)
    _build("--target", "prod")
    assert (project / "prod.duckdb").is_file()
    assert not (project / "dev.duckdb").exists()


@pytest.mark.parametrize("where", ["--profiles-dir", "DBT_PROFILES_DIR", "~/.dbt"])
def test_the_profile_is_found_where_dbt_looks_for_it(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    folder = tmp_path / "home" / ".dbt" if where == "~/.dbt" else tmp_path / "elsewhere"
    folder.mkdir(parents=True)
    (folder / "profiles.yml").write_text(_PROFILES)
    args: list[str] = []
    if where == "--profiles-dir":
        args = ["--profiles-dir", str(folder)]
    elif where == "DBT_PROFILES_DIR":
        monkeypatch.setenv("DBT_PROFILES_DIR", str(folder))
    _build(*args)
    assert (project / "dev.duckdb").is_file()


def test_no_profile_anywhere_is_a_configuration_error_saying_where_it_looked(
    project: Path,
) -> None:
    result = CliRunner().invoke(cli, ["build"])
    assert result.exit_code == 2
    assert f"{Path.home() / '.dbt' / 'profiles.yml'} not found" in result.stderr
    assert "--profiles-dir" in result.stderr
