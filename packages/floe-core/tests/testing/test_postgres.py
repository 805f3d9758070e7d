"""The throwaway PostgreSQL server the test suite uses."""

from __future__ import annotations

import socket
import subprocess

import psycopg2
import pytest

from floe_core.testing import PostgresServer, PostgresServerError, find_postgres_bin

pytestmark = pytest.mark.postgres


def test_session_server_accepts_the_generated_password(postgres_server: PostgresServer) -> None:
    with (
        psycopg2.connect(
            host=postgres_server.host,
            port=postgres_server.port,
            user=postgres_server.user,
            password=postgres_server.password,
            dbname=postgres_server.dbname,
        ) as connection,
        connection.cursor() as cursor,
    ):
        cursor.execute("select current_user, current_database(), current_setting('fsync')")
        assert cursor.fetchone() == ("floe", "floe", "off")
        cursor.execute("show listen_addresses")
        assert cursor.fetchone() == ("127.0.0.1",)
    connection.close()


def test_password_is_required(postgres_server: PostgresServer) -> None:
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(postgres_server.dsn().replace(postgres_server.password, "wrong"))


def test_each_test_gets_its_own_database(
    postgres_server: PostgresServer, postgres_database: str
) -> None:
    connection = psycopg2.connect(postgres_server.dsn(postgres_database))
    with connection, connection.cursor() as cursor:
        cursor.execute("create table t (id int); insert into t values (1), (2)")
        cursor.execute("select count(*) from t")
        assert cursor.fetchone() == (2,)
    connection.close()
    assert postgres_server.psql("select count(*) from t", dbname=postgres_database) == "2"
    with pytest.raises(PostgresServerError, match="does not exist"):
        postgres_server.psql("select count(*) from t")


def test_server_stops_and_leaves_nothing_behind() -> None:
    if find_postgres_bin() is None:
        pytest.skip("PostgreSQL binaries not found")
    with PostgresServer(dbname="shop") as server:
        assert server.psql("select current_database()") == "shop"
        assert server.create_database("other") == "other"
        root = server.directory
        assert root is not None
        assert (root / "socket" / f".s.PGSQL.{server.port}").exists()
        port = server.port
    assert not root.exists()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", port)) != 0
    ready = subprocess.run(
        [str(server.bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)], check=False
    )
    assert ready.returncode != 0
    server.stop()  # idempotent
