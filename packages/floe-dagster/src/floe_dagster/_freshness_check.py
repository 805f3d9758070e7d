"""``dbt source freshness`` for the sensor, run in this process with the profile floe uses.

Interim: floe's own ``source freshness`` command (runtime-neutral, sources.json in the results
store) was not in main when this was written. Until it is, the check runs dbt-core here, on
the Dagster machine, whatever the manifest's runtime (the check is one query per source);
replacing this module's body by ``Floe.source_freshness`` is the only change needed then.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from pathlib import Path

from floe_core import RuntimeExecutionError
from floe_core.api import Floe
from floe_core.profiles import materialize_profile
from floe_dagster._source_freshness import SourceFreshness, read_sources_json

__all__ = ["check_source_freshness"]


def check_source_freshness(floe: Floe, select: Sequence[str]) -> list[SourceFreshness]:
    """Each selected source's freshness status and newest row (dbt's sources.json)."""
    from dbt.cli.main import dbtRunner  # dbt-core loads only when a sensor ticks

    with tempfile.TemporaryDirectory(prefix="floe-dagster-freshness-") as scratch:
        work = Path(scratch)
        profile = materialize_profile(floe.profile, cache_dir=work)
        output = work / "sources.json"
        args = [
            "source", "freshness",
            "--project-dir", str(floe.project_dir),
            "--profiles-dir", str(profile.profiles_dir),
            "--target-path", str(work / "target"),
            "--log-path", str(work / "logs"),
            "--output", str(output),
            "--vars", json.dumps(floe.manifest.project.vars, default=str),
            "--select", *select,
        ]  # fmt: skip
        if profile.profile_name:
            args += ["--profile", profile.profile_name]
        target = profile.target or floe.manifest.project.target
        if target:
            args += ["--target", target]
        outcome = dbtRunner().invoke(args)
        if not output.is_file():
            raise RuntimeExecutionError(
                f"dbt source freshness of {floe.project_name} wrote no sources.json:"
                f" {outcome.exception or 'see the dbt log'}",
                hint="check the sources' freshness config and the warehouse connection",
            )
        return read_sources_json(output.read_bytes(), origin=str(output))
