"""Long-lived servers a benchmark session needs, started once and stopped at the end.

``SERVICES`` maps a service name to a factory: given a scratch directory it returns a context
manager that starts the server and yields what subjects need to reach it (address, ...).
Runtimes that need a server (a Temporal dev server, a fake dbt Cloud) register one here and
name it in their subjects' ``services``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager
from pathlib import Path
from typing import Any

from bench.warehouses import DuckDBWarehouse, PostgresWarehouse, Warehouse

__all__ = ["SERVICES", "ServiceFactory", "register_service", "start_services"]

ServiceFactory = Callable[[Path], AbstractContextManager[dict[str, Any]]]

SERVICES: dict[str, ServiceFactory] = {}


def register_service(name: str, factory: ServiceFactory) -> None:
    if name in SERVICES:
        raise ValueError(f"bench service {name!r} is already registered")
    SERVICES[name] = factory


@contextmanager
def _postgres(_scratch: Path) -> Iterator[dict[str, Any]]:
    from floe_core.testing import PostgresServer  # keeps its data in its own temp folder

    with PostgresServer() as server:
        yield {
            "host": server.host,
            "port": server.port,
            "user": server.user,
            "password": server.password,
            "dbname": server.dbname,
        }


register_service("postgres", _postgres)


def start_services(
    stack: ExitStack, warehouse_kind: str, names: Sequence[str], scratch: Path
) -> tuple[Warehouse, dict[str, dict[str, Any]]]:
    """Start the warehouse's server (if any) and the named services on ``stack``."""
    unknown = sorted(set(names) - set(SERVICES))
    if unknown:
        raise ValueError(f"unknown bench services {unknown}; registered: {sorted(SERVICES)}")
    warehouse: Warehouse = DuckDBWarehouse()
    if warehouse_kind == "postgres":
        warehouse = PostgresWarehouse(**stack.enter_context(SERVICES["postgres"](scratch)))
    services = {name: stack.enter_context(SERVICES[name](scratch)) for name in names}
    return warehouse, services
