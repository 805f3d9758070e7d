"""The temporal runtime runs dbt through floe-dbt-inprocess, never through the local runtime:
installing it must not register runtime ``local`` as a side effect."""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import requires


def _requirement_names(distribution: str) -> set[str]:
    return {
        re.split(r"[^A-Za-z0-9._-]", line, maxsplit=1)[0] for line in requires(distribution) or ()
    }


def test_temporal_depends_on_inprocess_dbt_not_on_the_local_runtime() -> None:
    names = _requirement_names("floe-dbt-temporal")
    assert "floe-dbt-inprocess" in names
    assert "floe-dbt-local" not in names


def test_a_worker_and_the_client_never_import_the_local_runtime() -> None:
    probe = (
        "import sys, floe_dbt_temporal, floe_dbt_temporal._activities, floe_dbt_temporal._worker;"
        "print(sorted(m for m in sys.modules if m.startswith('floe_dbt_local')))"
    )
    output = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    ).stdout
    assert output.strip() == "[]"
