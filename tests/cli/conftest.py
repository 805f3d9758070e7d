"""A private copy of examples/shop with its own manifest, DuckDB file and results folder."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import structlog

FLOE = Path(sys.executable).parent / "floe"


RunFloe = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture(scope="session")
def shop(shop_workspace: Callable[[str], Path]) -> Path:
    """A folder holding ``platform-manifest.yaml`` and ``shop/``; the manifest's path."""
    return shop_workspace("cli-e2e")


@pytest.fixture(scope="session")
def floe_bin() -> Path:
    """The ``floe`` console script installed in this virtualenv."""
    return FLOE


@pytest.fixture(scope="session")
def run_floe(shop: Path) -> RunFloe:
    """``run_floe("build", ...)``: the installed ``floe`` console script, in a real process."""

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(FLOE), *args],
            cwd=shop.parent,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    return run


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI configures structlog and the root logger: undo it for the tests after us."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    structlog.reset_defaults()
    root.handlers, root.level = handlers, level
