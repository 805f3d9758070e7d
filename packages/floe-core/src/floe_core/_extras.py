"""floe-core's optional extras: which imports each provides, and the error when one is missing.

The runtime contract, the registry, the manifest and the CLI need only floe-core's own
dependencies. Lineage, tracing, object stores and the testing kit import packages that only
their extra installs; code reaching them goes through :func:`requires_extra`, so a missing
package becomes a :class:`~floe_core.MissingExtraError` saying what to install.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager

from floe_core._errors import MissingExtraError

__all__ = ["EXTRAS", "object_store_extra", "requires_extra"]

EXTRAS: dict[str, tuple[str, ...]] = {
    "lineage": ("openlineage", "attr", "openlineage_sql"),
    "tracing": ("opentelemetry",),
    "tracing-grpc": ("opentelemetry", "grpc"),
    "s3": ("obstore",),
    "gcs": ("obstore",),
    "azure": ("obstore",),
    "testing": ("pytest", "moto", "boto3", "duckdb", "jsonschema"),
}
"""Extra name -> top-level modules it installs (kept in step with pyproject.toml)."""


def object_store_extra(url: str) -> str:
    """The extra that installs the client of ``url``'s scheme (``gs://`` -> ``gcs``)."""
    from floe_core.manifest._storage import object_store_kind

    return object_store_kind(url) or "s3"


@contextmanager
def requires_extra(extra: str, feature: str) -> Iterator[None]:
    """Turn the import of a module that only ``extra`` installs into a MissingExtraError.

    >>> with requires_extra("lineage", "observability.lineage"):
    ...     from floe_core.lineage import create_lineage_observer
    """
    try:
        yield
    except ModuleNotFoundError as exc:
        top = (exc.name or "").partition(".")[0]
        if top not in EXTRAS[extra]:
            raise
        # Name the extra's main package when it is missing too (openlineage, not the attr it
        # brings), whatever the import order hit first.
        missing = next(
            (name for name in EXTRAS[extra] if importlib.util.find_spec(name) is None), top
        )
        raise MissingExtraError(feature, extra, missing) from exc
