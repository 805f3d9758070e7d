"""Register the example runtime for its own tests only, as if its author had installed it.

floe's development environment does not install it (it would show up in every
``floe plugins list`` and runtime hint there). Its source is made importable for the whole
session, which nothing else notices; its entry point (what makes floe *discover* it) exists
only while a test module of this folder runs, from a ``.dist-info`` built from its own
``pyproject.toml``.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parent.parent
_SOURCE = str(_ROOT / "src")
if _SOURCE not in sys.path:
    sys.path.append(_SOURCE)


def _write_dist_info(site: Path) -> None:
    project = tomllib.loads((_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    dist_info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    dist_info.mkdir(parents=True)
    (dist_info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n",
        encoding="utf-8",
    )
    groups = project.get("entry-points", {})
    (dist_info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in points.items())
            for group, points in groups.items()
        ),
        encoding="utf-8",
    )


@pytest.fixture(scope="module", autouse=True)
def example_runtime_installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The runtime's entry point is on sys.path for the module's tests, then gone again."""
    site = tmp_path_factory.mktemp("example-runtime-site")
    _write_dist_info(site)
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(site))
        yield
