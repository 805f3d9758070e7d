"""dbt's exceptions become the floe error a user can act on, chained and unchanged in text."""

from __future__ import annotations

from pathlib import Path

import pytest
from dbt.adapters.exceptions.connection import FailedToConnectError
from dbt.cli.exceptions import DbtUsageException
from dbt.exceptions import DbtProfileError, DbtProjectError, ParsingError
from dbt_common.exceptions import CompilationError

from floe_core import (
    ConfigError,
    DBTCompilationError,
    FloeError,
    ProfileError,
    ProjectError,
    RunCancelledError,
    RuntimeExecutionError,
    WarehouseError,
)
from floe_dbt_inprocess._errors import floe_error_from_dbt


@pytest.mark.parametrize(
    ("dbt_error", "floe_type"),
    [
        (DbtProfileError("Could not find profile named 'floe'"), ProfileError),
        (DbtProjectError("Invalid dbt_project.yml"), ProjectError),
        (DbtUsageException("Invalid value for '--select'"), ConfigError),
        (FailedToConnectError("connection refused"), WarehouseError),
        (ParsingError("Invalid models/x.yml"), DBTCompilationError),
        (CompilationError("'nope' is undefined in model x"), DBTCompilationError),
        (ValueError("unexpected"), RuntimeExecutionError),
        (KeyboardInterrupt(), RunCancelledError),
    ],
)
def test_dbt_errors_map_to_floe_errors(dbt_error: BaseException, floe_type: type) -> None:
    error = floe_error_from_dbt(dbt_error, project_dir=Path("/proj"), action="dbt build")
    assert type(error) is floe_type
    assert "dbt build in /proj" in error.message
    assert str(dbt_error).strip() in error.message or isinstance(dbt_error, KeyboardInterrupt)


def test_a_floe_error_passes_through_unchanged() -> None:
    original = WarehouseError("already translated")
    assert floe_error_from_dbt(original, project_dir=Path("/p"), action="x") is original


def test_every_translation_is_a_floe_error() -> None:
    error = floe_error_from_dbt(KeyError("k"), project_dir=Path("/p"), action="dbt run")
    assert isinstance(error, FloeError)
    assert "KeyError" in error.message
