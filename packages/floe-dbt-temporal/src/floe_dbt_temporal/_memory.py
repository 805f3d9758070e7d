"""Keep a long-lived worker's memory close to the dbt CLI's: fewer malloc arenas, no
unused optional packages.

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

__all__ = ["limit_malloc_arenas", "without_unused_packages"]

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


_UNUSED_IN_A_WORKER = ("grpc", "rich")


@contextmanager
def without_unused_packages() -> Iterator[None]:
    """Import the worker's modules in this block without two optional packages it never uses.

    - grpcio's generated service stubs: temporalio's service packages
      (``temporalio.api.workflowservice.v1`` and three more) import them whenever grpcio is
      installed (dagster, google-cloud libraries and the OTLP gRPC exporter bring it); the
      SDK reaches the server through its Rust core, and grpcio costs ~9 MiB resident.
    - rich: structlog's ``dev`` module imports it, when installed (floe's CLI depends on it),
      to render exceptions in console logs; a worker's logs go to a file or a collector,
      where structlog's plain tracebacks read as well, and rich costs ~7 MiB resident.

    ``None`` in ``sys.modules`` makes those optional imports fail as if the package were
    absent; after the block both import normally for code that does use them (an OTLP gRPC
    exporter, a CLI table).
    """
    masked = [name for name in _UNUSED_IN_A_WORKER if name not in sys.modules]
    for name in masked:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for name in masked:
            if sys.modules.get(name, sys) is None:
                del sys.modules[name]
