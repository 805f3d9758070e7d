"""Repository-wide pytest configuration: shared fixtures (e.g. ``postgres_server``), and a
workspace factory for end-to-end tests on a private copy of ``examples/shop``."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

pytest_plugins = ["floe_core.testing.fixtures"]

REPO = Path(__file__).resolve().parent
if str(REPO) not in sys.path:  # ``bench`` is a top-level folder run as ``python -m bench``
    sys.path.insert(0, str(REPO))

SHOP_MANIFEST = """\
apiVersion: floe.dev/v1
kind: PlatformManifest
metadata: {{name: {name}}}
project: {{dir: shop, target: dev}}
plugins: {{dbt_runtime: {{type: local}}}}
compute: {{type: duckdb, config: {{path: warehouse/shop.duckdb, threads: 4}}}}
artifacts: {{path: results}}
"""

MakeShopWorkspace = Callable[[str], Path]


@pytest.fixture(scope="session")
def shop_workspace(tmp_path_factory: pytest.TempPathFactory) -> MakeShopWorkspace:
    """``make(name)``: a new folder holding a copy of examples/shop and a
    ``platform-manifest.yaml`` running it locally on DuckDB; returns the manifest's path."""

    def make(name: str) -> Path:
        root = tmp_path_factory.mktemp(name)
        shutil.copytree(
            REPO / "examples" / "shop",
            root / "shop",
            ignore=shutil.ignore_patterns("target", "logs", "dbt_packages", "*.duckdb*"),
        )
        manifest = root / "platform-manifest.yaml"
        manifest.write_text(SHOP_MANIFEST.format(name=name), encoding="utf-8")
        return manifest

    return make
