"""A dbt project as floe runs it, and its manifest.json for the asset definitions."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from floe_core import ProjectError
from floe_core.api import Floe
from floe_core.manifest import MANIFEST_FILENAME, load_manifest
from floe_core.stores import project_directory

__all__ = ["FloeProject"]

_NOTHING = "tag:floe-dagster-parse-only"
"""A selection no node matches: compiling it parses the project and writes manifest.json,
nothing more (no SQL compiled, no warehouse query)."""


class FloeProject:
    """The dbt project a platform manifest names, and where its manifest.json lives.

    Definitions are built from manifest.json at import time, which must therefore not run dbt
    on every load: :meth:`prepare` writes it (through the manifest's runtime, like any floe
    command) and :meth:`prepare_if_dev` does so only under ``dagster dev`` or when it is
    missing. In production, run ``prepare`` (or ``floe compile``) when building the image.
    """

    def __init__(
        self,
        platform_manifest: str | Path = MANIFEST_FILENAME,
        *,
        manifest_path: str | Path | None = None,
    ) -> None:
        self.platform_manifest = Path(platform_manifest).resolve()
        platform = load_manifest(self.platform_manifest)
        self.project_dir = project_directory(platform)
        self.manifest_path = (
            Path(manifest_path).resolve()
            if manifest_path is not None
            else self.project_dir / "target" / "manifest.json"
        )

    def prepare(self) -> Path:
        """Parse the project through floe and keep manifest.json at :attr:`manifest_path`."""
        with Floe.from_manifest(self.platform_manifest) as floe:
            result = floe.compile(select=[_NOTHING])
        written = result.manifest_path
        if written is None or not written.is_file():
            raise ProjectError(
                f"the {result.runtime!r} runtime did not leave a manifest.json on this machine"
                f" ({result.error or result.status})",
                hint="run `floe compile` with a local runtime, or pass manifest_path= pointing"
                " at a manifest.json built for this project",
            )
        if written.resolve() != self.manifest_path:
            self.manifest_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(written, self.manifest_path)
        return self.manifest_path

    def prepare_if_dev(self) -> Path:
        """:meth:`prepare` under ``dagster dev`` (models change while one works) or when
        manifest.json does not exist yet; otherwise the existing file."""
        if os.environ.get("DAGSTER_IS_DEV_CLI") or not self.manifest_path.is_file():
            return self.prepare()
        return self.manifest_path

    def load_manifest(self) -> Mapping[str, Any]:
        """manifest.json as a dict; a :class:`ProjectError` naming the fix if it is missing."""
        try:
            data = json.loads(self.manifest_path.read_bytes())
        except FileNotFoundError as exc:
            raise ProjectError(
                f"{self.manifest_path} does not exist",
                hint="call FloeProject.prepare() (or prepare_if_dev()) first, or run"
                " `floe compile`",
            ) from exc
        except ValueError as exc:
            raise ProjectError(f"{self.manifest_path}: not valid JSON: {exc}") from exc
        if not isinstance(data, dict) or "nodes" not in data:
            raise ProjectError(f"{self.manifest_path}: not a dbt manifest.json (no 'nodes')")
        return data
