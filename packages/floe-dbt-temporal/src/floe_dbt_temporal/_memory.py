"""Keep a long-lived worker's memory close to the dbt CLI's: fewer malloc arenas, no
unused gRPC stubs.

glibc gives each thread that meets contention its own malloc arena (up to 8 per core), and
an arena's freed memory is rarely returned to the system. A worker runs nodes on several
activity threads next to the Temporal core's own threads for hours, so its resident size
creeps up through arenas that are each partly empty. Two arenas bound that, at no
measurable cost to a process whose Python threads take turns under the GIL anyway.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["limit_malloc_arenas", "without_grpc_stubs"]

_M_ARENA_MAX = -8  # glibc's mallopt() parameter number (malloc.h)


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas for threads started from now on; whether it applied
    (False on a C library without ``mallopt``, e.g. musl or macOS)."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))


@contextmanager
def without_grpc_stubs() -> Iterator[None]:
    """Import temporalio in this block without grpcio's generated service stubs.

    temporalio's service packages (``temporalio.api.workflowservice.v1`` and three more)
    import grpcio's stubs whenever grpcio is installed (dagster, google-cloud libraries and
    the OTLP gRPC exporter bring it); the SDK reaches the server through its Rust core and
    never uses them, and grpcio costs a worker ~9 MiB resident. ``None`` in ``sys.modules``
    makes that optional import fail as if grpcio were absent; after the block grpcio imports
    normally for code that does use it (an OTLP gRPC exporter).
    """
    if "grpc" in sys.modules:  # already loaded (or blocked): nothing to save
        yield
        return
    sys.modules["grpc"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if sys.modules.get("grpc", sys) is None:
            del sys.modules["grpc"]
