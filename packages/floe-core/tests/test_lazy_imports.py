"""Reading a manifest or starting the CLI must not pay for SDKs that only observers need."""

from __future__ import annotations

import subprocess
import sys

import floe_core.lineage
import floe_core.tracing


def test_cli_and_manifest_do_not_import_the_lineage_and_tracing_sdks() -> None:
    probe = (
        "import sys, floe_core.cli, floe_core.manifest;"
        "heavy = [m for m in ('openlineage.client', 'opentelemetry.sdk') if m in sys.modules];"
        "print(','.join(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""


def test_lazy_names_resolve_on_first_use() -> None:
    assert callable(floe_core.lineage.create_lineage_observer)
    assert callable(floe_core.tracing.create_tracing_observer)
    assert set(floe_core.lineage.__all__) <= set(dir(floe_core.lineage)) | set(
        floe_core.lineage._LAZY
    )
