"""What a ``floe worker`` process keeps resident before its first run."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import sys
from floe_dbt_temporal._memory import without_grpc_stubs
with without_grpc_stubs():  # as `floe worker` imports its modules
    from floe_dbt_temporal._worker import serve
    from floe_dbt_temporal._worker_setup import worker_settings
loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('grpc', 'obstore', 'temporalio'))
import grpc  # code that does use gRPC (an OTLP exporter) still imports it afterwards
print(','.join(loaded), grpc.__name__)
"""


def test_worker_imports_neither_grpc_stubs_nor_obstore_and_grpc_stays_importable() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True
    )
    loaded, grpc_name = done.stdout.split()
    modules = loaded.split(",")
    assert "temporalio.api.workflowservice.v1" in modules  # the probe saw temporalio load
    assert [m for m in modules if not m.startswith("temporalio")] == []
    assert grpc_name == "grpc"
