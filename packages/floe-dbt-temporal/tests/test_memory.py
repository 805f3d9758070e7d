"""What a ``floe worker`` process keeps resident before its first run."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import sys
from floe_dbt_temporal._memory import without_unused_packages
with without_unused_packages():  # as `floe worker` imports its modules
    from floe_dbt_temporal._worker import serve
    from floe_dbt_temporal._worker_setup import worker_settings
top = ('grpc', 'obstore', 'rich', 'structlog', 'temporalio')
loaded = sorted(m for m in sys.modules if m.split('.')[0] in top)
import grpc  # code that does use gRPC (an OTLP exporter) still imports it afterwards
import rich.console  # and a CLI table still renders
print(','.join(loaded), grpc.__name__, rich.console.__name__)
"""


def test_worker_imports_neither_grpc_stubs_rich_nor_obstore_and_both_stay_importable() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True
    )
    loaded, grpc_name, rich_name = done.stdout.split()
    modules = loaded.split(",")
    assert "temporalio.api.workflowservice.v1" in modules  # the probe saw temporalio load
    assert "structlog.dev" in modules  # and structlog, which imports rich when it can
    assert [m for m in modules if not m.startswith(("temporalio", "structlog"))] == []
    assert (grpc_name, rich_name) == ("grpc", "rich.console")
