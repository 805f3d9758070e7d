from __future__ import annotations

import shutil
from pathlib import Path

import pytest

SHOP = Path(__file__).resolve().parents[3] / "examples" / "shop"


def copy_shop(root: Path) -> tuple[Path, Path]:
    """A private copy of examples/shop and a profiles dir pointing it at DuckDB in ``root``."""
    project = root / "shop"
    shutil.copytree(SHOP, project, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb"))
    profiles = root / "profiles"
    profiles.mkdir()
    (profiles / "profiles.yml").write_text(
        "floe:\n  target: dev\n  outputs:\n    dev:\n"
        f"      type: duckdb\n      path: {root / 'shop.duckdb'}\n      threads: 4\n",
        encoding="utf-8",
    )
    return project, profiles


@pytest.fixture
def shop(tmp_path: Path) -> tuple[Path, Path]:
    return copy_shop(tmp_path)
