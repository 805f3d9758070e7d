"""Workspaces for floe-dagster's tests: a private copy of a dbt project and a platform manifest
running it on DuckDB with the local runtime."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dagster import AssetsDefinition, build_reconstructable_job

from floe_dagster import FloeProject, FloeResource, floe_assets

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[2]

MANIFEST = """\
apiVersion: floe.dev/v1
kind: PlatformManifest
metadata: {{name: {name}}}
project: {{dir: {project}, target: dev, vars: {vars}}}
plugins: {{dbt_runtime: {{type: {runtime}, config: {config}}}}}
compute: {compute}
artifacts: {{path: results}}
{extra}"""

SALES = [
    (1, "2024-01-01", 12.0),
    (2, "2024-01-01", 3.5),
    (3, "2024-01-02", 20.0),
    (4, "2024-01-02", None),
    (5, "2024-01-03", 11.0),
]
"""landing.sales: sale_id, sold_on, amount (``loaded_at`` is when the fixture loads them)."""

WriteManifest = Callable[..., None]
Query = Callable[[Path, str], list[tuple[object, ...]]]


def _project_of(manifest: Path) -> str:
    return "orchard" if (manifest.parent / "orchard").is_dir() else "shop"


def _write_manifest(
    path: Path,
    *,
    vars: str = "{}",
    runtime: str = "local",
    config: str = "{}",
    compute: str | None = None,
    extra: str = "",
) -> None:
    project = _project_of(path)
    path.write_text(
        MANIFEST.format(
            name=path.parent.name,
            project=project,
            vars=vars,
            runtime=runtime,
            config=config,
            compute=compute
            or f"{{type: duckdb, config: {{path: warehouse/{project}.duckdb, threads: 4}}}}",
            extra=extra,
        ),
        encoding="utf-8",
    )


def _query(manifest: Path, sql: str) -> list[tuple[object, ...]]:
    path = manifest.parent / "warehouse" / f"{_project_of(manifest)}.duckdb"
    with duckdb.connect(str(path), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def _make_orchard(root: Path) -> Path:
    shutil.copytree(HERE / "orchard", root / "orchard")
    (root / "warehouse").mkdir()
    with duckdb.connect(str(root / "warehouse" / "orchard.duckdb")) as connection:
        connection.execute("create schema landing")
        connection.execute(
            "create table landing.sales (sale_id int, sold_on date, amount double,"
            " loaded_at timestamp default current_timestamp)"
        )
        connection.executemany("insert into landing.sales values (?, ?, ?, default)", SALES)
    manifest = root / "platform-manifest.yaml"
    _write_manifest(manifest)
    return manifest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def free_port() -> Callable[[], int]:
    """``free_port()``: a loopback port nothing listens on (for servers a test starts)."""
    return _free_port


def _assets_for(project: FloeProject | Path, **options: Any) -> AssetsDefinition:
    if isinstance(project, Path):
        project = FloeProject(project)
        project.prepare()

    @floe_assets(project, **options)
    def assets(context, floe: FloeResource) -> Iterator[Any]:  # type: ignore[no-untyped-def]
        yield from floe.build(context)

    return assets


@pytest.fixture
def assets_for() -> Callable[..., AssetsDefinition]:
    """``assets_for(project or platform manifest path, **floe_assets options)``: the project's
    ``@floe_assets`` definition, materializing through ``FloeResource.build``
    (a manifest path is prepared first)."""
    return _assets_for


@pytest.fixture
def write_manifest() -> WriteManifest:
    """``write_manifest(path, vars=..., runtime=..., config=..., compute=..., extra=...)``:
    (re)write a workspace's platform manifest, e.g. to flip a failure switch."""
    return _write_manifest


@pytest.fixture
def query() -> Query:
    """``query(manifest_path, sql)``: rows from the workspace's DuckDB warehouse."""
    return _query


@pytest.fixture
def reexecutable_job() -> Callable[[Path], Any]:
    """``reexecutable_job(manifest)``: the workspace's assets as a job ``execute_job`` can
    re-execute from failure (see reexecution_definitions.py)."""

    def make(manifest: Path) -> Any:
        return build_reconstructable_job(
            "reexecution_definitions",
            "define_job",
            reconstructable_args=(str(manifest),),
            reconstructor_working_directory=str(HERE),
        )

    return make


@pytest.fixture
def orchard(tmp_path: Path) -> Path:
    """A workspace with the orchard project (its landing.sales source loaded); returns the
    platform manifest's path."""
    return _make_orchard(tmp_path)


@pytest.fixture(scope="session")
def orchard_project(tmp_path_factory: pytest.TempPathFactory) -> FloeProject:
    """The orchard project with its manifest.json prepared (shared: read it, do not run it)."""
    project = FloeProject(_make_orchard(tmp_path_factory.mktemp("orchard")))
    project.prepare()
    return project


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    """A workspace with a copy of examples/shop; returns the platform manifest's path."""
    shutil.copytree(
        REPO / "examples" / "shop",
        tmp_path / "shop",
        ignore=shutil.ignore_patterns("target", "logs", "*.duckdb*"),
    )
    (tmp_path / "warehouse").mkdir()
    manifest = tmp_path / "platform-manifest.yaml"
    _write_manifest(manifest)
    return manifest
