from __future__ import annotations

import textwrap
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

InstallPlugin = Callable[[str, str], None]


@pytest.fixture
def install_plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> InstallPlugin:
    """Install a real distribution (dist-info + module on sys.path) exposing one plugin.

    ``install_plugin("slack", source)`` creates distribution ``floe-slack`` 1.2.3 whose
    module (uniquely named, so tests never share a cached import) holds ``source`` and is
    the ``floe.plugins`` entry point.
    """
    monkeypatch.syspath_prepend(str(tmp_path))

    def install(name: str, source: str) -> None:
        module = f"floe_test_{name}_{uuid.uuid4().hex}"
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        dist_info = tmp_path / f"floe_{name}-1.2.3.dist-info"
        dist_info.mkdir()
        (dist_info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: floe-{name}\nVersion: 1.2.3\n", encoding="utf-8"
        )
        (dist_info / "entry_points.txt").write_text(
            f"[floe.plugins]\n{name} = {module}\n", encoding="utf-8"
        )

    return install
