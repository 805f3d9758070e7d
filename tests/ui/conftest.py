"""One real ``floe build`` of a private copy of examples/shop, and the workbench serving it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from floe_core.api import Floe
from floe_core.artifacts import read_index
from floe_core.stores import LocalArtifactStore
from floe_core.ui import UIServer, Workbench

REPO = Path(__file__).resolve().parents[2]

MANIFEST = """\
apiVersion: floe.dev/v1
kind: PlatformManifest
metadata: {name: ui-e2e}
project: {dir: shop, target: dev}
plugins: {dbt_runtime: {type: local}}
compute: {type: duckdb, config: {path: warehouse/shop.duckdb, threads: 4}}
artifacts: {path: results}
observability: {lineage: {enabled: false}, tracing: {enabled: false}}
"""


@pytest.fixture(scope="session")
def shop_results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """examples/shop built once by the local runtime; the folder its results went to."""
    root = tmp_path_factory.mktemp("ui-e2e")
    shutil.copytree(
        REPO / "examples" / "shop",
        root / "shop",
        ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", "*.duckdb*"),
    )
    manifest = root / "platform-manifest.yaml"
    manifest.write_text(MANIFEST, encoding="utf-8")
    with Floe.from_manifest(manifest) as floe:
        floe.build()
    return root / "results"


@pytest.fixture(scope="session")
def shop_run_id(shop_results: Path) -> str:
    """The invocation id of that build."""
    [record] = read_index(shop_results, "shop")
    return record.invocation_id


@pytest.fixture
def ui_server(shop_results: Path) -> Iterator[UIServer]:
    workbench = Workbench(LocalArtifactStore(shop_results), "shop")
    with UIServer(workbench, poll_seconds=0.05) as server:
        yield server
