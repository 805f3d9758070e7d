"""Dataset namespaces by the OpenLineage naming spec, from the manifest's compute section."""

from __future__ import annotations

from pathlib import Path

from floe_core._errors import ConfigError

__all__ = ["dataset_namespace"]

_DEFAULT_PORTS = {"postgres": 5432}


def dataset_namespace(
    adapter: str,
    *,
    path: str | Path | None = None,
    host: str | None = None,
    port: int | None = None,
) -> str:
    """The namespace of the datasets a compute connection holds.

    ``duckdb://<absolute database path>`` for DuckDB (``duckdb://:memory:`` in memory) and
    ``<adapter>://<host>:<port>`` for server warehouses such as ``postgres://db:5432``.
    """
    if adapter == "duckdb":
        if path is None or str(path) in ("", ":memory:"):
            return "duckdb://:memory:"
        return f"duckdb://{Path(path).expanduser().resolve()}"
    if host is None:
        raise ConfigError(
            f"compute: a {adapter} connection without a host has no lineage dataset namespace",
            hint="set compute.host in platform-manifest.yaml",
        )
    port = port if port is not None else _DEFAULT_PORTS.get(adapter)
    return f"{adapter}://{host}:{port}" if port is not None else f"{adapter}://{host}"
