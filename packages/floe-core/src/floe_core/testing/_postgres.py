"""A throwaway PostgreSQL server for tests: ``initdb`` + ``pg_ctl`` in a temporary folder.

It listens only on 127.0.0.1 (a free port) and a socket inside its folder, requires password
authentication for a generated ``floe`` superuser, runs with fsync off, and leaves nothing
behind. PostgreSQL refuses to run as root, so as root it runs as the ``postgres`` user.
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

__all__ = ["PostgresServer", "PostgresServerError", "PostgresUnavailableError", "find_postgres_bin"]

_SERVER_USER = "postgres"
_REQUIRED = ("initdb", "pg_ctl", "pg_isready", "psql")


class PostgresServerError(RuntimeError):
    """The test server could not be started, queried or stopped."""


class PostgresUnavailableError(PostgresServerError):
    """No PostgreSQL server binaries (initdb, pg_ctl, pg_isready, psql) on this machine."""


def find_postgres_bin() -> Path | None:
    """The folder holding initdb, pg_ctl, pg_isready and psql: from PATH, else the newest
    ``/usr/lib/postgresql/<version>/bin``."""
    candidates: list[Path] = []
    initdb = shutil.which("initdb")
    if initdb is not None:
        candidates.append(Path(initdb).resolve().parent)
    installed = Path("/usr/lib/postgresql").glob("*/bin")
    by_version = sorted(installed, key=lambda path: _version_key(path.parent.name), reverse=True)
    candidates.extend(by_version)
    for folder in candidates:
        if all((folder / tool).is_file() for tool in _REQUIRED):
            return folder
    return None


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class PostgresServer:
    """``with PostgresServer() as pg: pg.create_database("shop")``.

    ``host``/``port``/``user``/``password``/``dbname`` are what a client needs; ``dbname``
    exists once the server has started.
    """

    host = "127.0.0.1"

    def __init__(
        self, *, user: str = "floe", dbname: str = "floe", startup_timeout: float = 30.0
    ) -> None:
        bin_dir = find_postgres_bin()
        if bin_dir is None:
            raise PostgresUnavailableError(
                "PostgreSQL server binaries (initdb, pg_ctl, pg_isready, psql) not found on PATH"
                " or in /usr/lib/postgresql/*/bin; install the postgresql package"
            )
        self.bin_dir = bin_dir
        self.user = user
        self.dbname = dbname
        self.password = secrets.token_urlsafe(18)
        self.port = 0
        self._startup_timeout = startup_timeout
        self._root: Path | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> PostgresServer:
        if self._root is not None:
            raise PostgresServerError("the server is already running")
        self._root = Path(tempfile.mkdtemp(prefix="floe-pg-"))
        try:
            self._init_cluster(self._root)
            self._start_postmaster(self._root)
            if self.dbname != "postgres":
                self.create_database(self.dbname)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server (``pg_ctl stop -m fast``) and delete its folder. Idempotent."""
        root, self._root = self._root, None
        if root is None:
            return
        try:
            if (root / "data" / "postmaster.pid").exists():
                self._run_as_server_user(
                    [self._tool("pg_ctl"), "stop", "-D", str(root / "data"), "-m", "fast", "-w"],
                    cwd=root,
                    check=False,
                )
        finally:
            shutil.rmtree(root, ignore_errors=True)

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def directory(self) -> Path | None:
        """The server's temporary folder (data, socket, log) while it runs."""
        return self._root

    # -- for clients -------------------------------------------------------------------
    def dsn(self, dbname: str | None = None) -> str:
        """A libpq URL, e.g. for psycopg2.connect() (the password is URL-safe)."""
        return (
            f"postgresql://{self.user}:{self.password}@{self.host}:{self.port}/"
            f"{dbname or self.dbname}"
        )

    def env(self, dbname: str | None = None) -> dict[str, str]:
        """``PGHOST``/``PGPORT``/``PGUSER``/``PGPASSWORD``/``PGDATABASE`` for libpq tools."""
        return {
            "PGHOST": self.host,
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": dbname or self.dbname,
        }

    def psql(self, sql: str, *, dbname: str | None = None) -> str:
        """Run ``sql`` with psql over TCP (password auth); returns unaligned tuples-only output."""
        if self._root is None:
            raise PostgresServerError("the server is not running")
        command = [self._tool("psql"), "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql]
        result = subprocess.run(
            command,
            env={**os.environ, **self.env(dbname)},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise PostgresServerError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def create_database(self, name: str) -> str:
        """Create database ``name`` (owned by :attr:`user`) and return its name."""
        quoted = '"' + name.replace('"', '""') + '"'
        self.psql(f"CREATE DATABASE {quoted}", dbname="postgres")
        return name

    # -- internals -----------------------------------------------------------------------
    def _tool(self, name: str) -> str:
        return str(self.bin_dir / name)

    def _init_cluster(self, root: Path) -> None:
        (root / "socket").mkdir()
        password_file = root / "password"
        password_file.write_text(self.password + "\n", encoding="utf-8")
        password_file.chmod(0o600)
        self._hand_over(root, root / "socket", password_file)
        self._run_as_server_user(
            [
                self._tool("initdb"),
                "-D",
                str(root / "data"),
                "-U",
                self.user,
                f"--pwfile={password_file}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
            cwd=root,
        )
        password_file.unlink()

    def _start_postmaster(self, root: Path) -> None:
        data = root / "data"
        base_config = (data / "postgresql.conf").read_text(encoding="utf-8")
        for _attempt in range(3):  # another process may grab the free port before we bind it
            self.port = _free_port()
            settings = {
                "listen_addresses": "'127.0.0.1'",
                "port": str(self.port),
                "unix_socket_directories": f"'{root / 'socket'}'",
                # a test server: durability is not worth the time
                "fsync": "off",
                "synchronous_commit": "off",
                "full_page_writes": "off",
            }
            extra = "".join(f"{key} = {value}\n" for key, value in settings.items())
            (data / "postgresql.conf").write_text(base_config + extra, encoding="utf-8")
            started = self._run_as_server_user(
                [
                    self._tool("pg_ctl"),
                    "start",
                    "-D",
                    str(data),
                    "-l",
                    str(root / "server.log"),
                    "-w",
                    "-t",
                    str(int(self._startup_timeout)),
                ],
                cwd=root,
                check=False,
            )
            if started.returncode == 0:
                self._wait_until_ready()
                return
        log = (root / "server.log").read_text(encoding="utf-8", errors="replace")
        raise PostgresServerError(f"PostgreSQL did not start; server log:\n{log[-2000:]}")

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self._startup_timeout
        while True:
            ready = subprocess.run(
                [self._tool("pg_isready"), "-q", "-h", self.host, "-p", str(self.port)],
                check=False,
            )
            if ready.returncode == 0:
                return
            if time.monotonic() > deadline:
                raise PostgresServerError(f"PostgreSQL on port {self.port} is not ready")
            time.sleep(0.05)

    def _hand_over(self, *paths: Path) -> None:
        if os.geteuid() != 0:
            return
        account = _server_account()
        for path in paths:
            os.chown(path, account.pw_uid, account.pw_gid)

    def _run_as_server_user(
        self, command: list[str], *, cwd: Path, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        if os.geteuid() == 0:
            _server_account()
            command = ["runuser", "-u", _SERVER_USER, "--", *command]
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
        if check and result.returncode != 0:
            output = result.stderr.strip() or result.stdout.strip()
            raise PostgresServerError(f"{' '.join(command)} failed: {output}")
        return result


def _server_account() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(_SERVER_USER)
    except KeyError:
        raise PostgresUnavailableError(
            f"running as root, and there is no '{_SERVER_USER}' user to run PostgreSQL as"
            " (initdb refuses root)"
        ) from None
