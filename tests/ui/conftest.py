"""One real ``floe build`` of a private copy of examples/shop, and the workbench serving it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from floe_core.api import Floe
from floe_core.artifacts import read_index
from floe_core.stores import LocalArtifactStore
from floe_core.ui import UIServer, Workbench


@pytest.fixture(scope="session")
def shop_results(shop_workspace: Callable[[str], Path]) -> Path:
    """examples/shop built once by the local runtime; the folder its results went to."""
    manifest = shop_workspace("ui-e2e")
    with Floe.from_manifest(manifest) as floe:
        floe.build()
    return manifest.parent / "results"


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
