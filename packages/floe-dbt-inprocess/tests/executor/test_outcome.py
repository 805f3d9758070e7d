from __future__ import annotations

import duckdb
import psycopg2
import pytest
from dbt.adapters.exceptions import FailedToConnectError
from dbt_common.exceptions import CompilationError, DbtDatabaseError, DbtRuntimeError

from floe_dbt_inprocess.executor import FailureKind, classify_exception


def _raised(driver_error: BaseException, wrapper: type[Exception]) -> BaseException:
    """``driver_error`` re-raised the way the adapters do: ``raise Wrapper(str) from exc``."""
    try:
        try:
            raise driver_error
        except Exception as exc:
            raise wrapper(str(exc)) from exc
    except Exception as wrapped:
        return wrapped


def _duckdb_error(sql: str) -> duckdb.Error:
    with duckdb.connect() as connection, pytest.raises(duckdb.Error) as info:
        connection.execute(sql)
    return info.value


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        (_duckdb_error("select * from read_csv('/nonexistent/floe.csv')"), FailureKind.TRANSIENT),
        (_duckdb_error("selec 1"), FailureKind.PERMANENT),
        (_duckdb_error("select * from no_such_table"), FailureKind.PERMANENT),
        (psycopg2.OperationalError("server closed the connection unexpectedly"), "transient"),
        (psycopg2.errors.SyntaxError("syntax error at or near"), FailureKind.PERMANENT),
    ],
    ids=["duckdb-io", "duckdb-parser", "duckdb-catalog", "pg-operational", "pg-syntax"],
)
def test_driver_errors_behind_adapter_errors(error: BaseException, kind: str) -> None:
    assert classify_exception(_raised(error, DbtRuntimeError)) == kind
    assert classify_exception(_raised(error, DbtDatabaseError)) == kind


def test_dbt_errors() -> None:
    assert classify_exception(CompilationError("bad jinja")) is FailureKind.PERMANENT
    assert classify_exception(DbtRuntimeError("macro raised")) is FailureKind.PERMANENT
    assert classify_exception(FailedToConnectError("refused")) is FailureKind.TRANSIENT
    assert classify_exception(ConnectionResetError("peer reset")) is FailureKind.TRANSIENT
