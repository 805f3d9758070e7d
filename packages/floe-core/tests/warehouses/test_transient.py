"""Transient or not, for real driver exceptions of every built-in warehouse type.

The exceptions are the drivers' own classes (installed in the test environment), raised the
way the drivers raise them; classifying them imports nothing.
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from floe_core.warehouses import is_transient_error, warehouse


def _driver_error(module: str, name: str, *args: Any) -> BaseException:
    try:
        cls = getattr(importlib.import_module(module), name)
    except ImportError:
        pytest.skip(f"{module} is not installed here")
    return cls(*args)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("module", "name", "args"),
    [
        ("duckdb", "IOException", ("could not set lock on file",)),
        ("psycopg2", "OperationalError", ("server closed the connection unexpectedly",)),
        ("redshift_connector", "InterfaceError", ("communication error",)),
        ("snowflake.connector.errors", "OperationalError", ()),
        ("snowflake.connector.errors", "ServiceUnavailableError", ()),
        ("google.api_core.exceptions", "ServiceUnavailable", ("backend unavailable",)),
        ("google.api_core.exceptions", "TooManyRequests", ("quota",)),
        ("trino.exceptions", "Http503Error", ("service unavailable",)),
        ("trino.exceptions", "TrinoConnectionError", ("connection refused",)),
        ("databricks.sql.exc", "RequestError", ("connection reset",)),
    ],
)
def test_connection_and_server_errors_are_transient(
    module: str, name: str, args: tuple[Any, ...]
) -> None:
    assert is_transient_error(_driver_error(module, name, *args))


@pytest.mark.parametrize(
    ("module", "name", "args"),
    [
        ("duckdb", "CatalogException", ("Table with name x does not exist",)),
        ("psycopg2", "ProgrammingError", ("syntax error at or near",)),
        ("snowflake.connector.errors", "ProgrammingError", ()),
        ("google.api_core.exceptions", "BadRequest", ("Syntax error: Unexpected",)),
        (
            "trino.exceptions",
            "TrinoUserError",
            ({"message": "line 1:8: Column 'x' cannot be resolved"},),
        ),
    ],
)
def test_statement_errors_are_not(module: str, name: str, args: tuple[Any, ...]) -> None:
    assert not is_transient_error(_driver_error(module, name, *args))


def test_postgres_sqlstate_classes_say_transient() -> None:
    psycopg2 = pytest.importorskip("psycopg2")

    class WithCode(psycopg2.DatabaseError):  # type: ignore[misc, name-defined]
        pgcode = "40P01"  # deadlock detected

    assert is_transient_error(WithCode("deadlock detected"))
    WithCode.pgcode = "42P01"  # undefined table
    assert not is_transient_error(WithCode("relation does not exist"))


def test_messages_of_one_class_drivers_are_read() -> None:
    trino = warehouse("trino")
    assert trino.is_transient(RuntimeError("INSUFFICIENT_RESOURCES: cluster is busy"))
    assert not trino.is_transient(RuntimeError("SYNTAX_ERROR: line 1"))
