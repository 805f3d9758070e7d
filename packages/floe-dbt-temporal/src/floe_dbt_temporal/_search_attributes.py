"""floe's search attributes (DbtProject, DbtCommand, DbtTarget, DbtStatus, DbtSelector) and
the manifest's ``static_search_attributes`` on a namespace, all Keyword.

A stock ``temporal server start-dev`` knows none of them, and starting a workflow that
carries an unknown one fails. Workers register them at start-up where the server allows it
(a dev server, a self-hosted cluster with operator rights); where it does not (Temporal
Cloud without admin rights) runs go untagged, with one warning.
"""

from __future__ import annotations

from collections.abc import Iterable

import structlog
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from floe_dbt_temporal._workflow import SEARCH_ATTRIBUTES

__all__ = ["is_unknown_search_attribute", "register_search_attributes"]

_log = structlog.get_logger("floe.temporal")


async def register_search_attributes(
    client: Client, namespace: str, static: Iterable[str] = ()
) -> bool:
    """Add the ones the namespace lacks (floe's and the ``static`` names); whether all are
    there now (else one warning)."""
    names = [key.name for key in SEARCH_ATTRIBUTES] + list(static)
    try:
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        missing = {
            name: IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD
            for name in names
            if name not in listed.custom_attributes
        }
        if missing:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=namespace, search_attributes=missing)
            )
            _log.info("registered search attributes", namespace=namespace, names=sorted(missing))
    except RPCError as exc:
        _log.warning(
            "cannot register floe's search attributes: runs of this namespace go untagged",
            namespace=namespace,
            names=names,
            error=str(exc),
            fix="register them as Keyword (`temporal operator search-attribute create`)",
        )
        return False
    return True


def is_unknown_search_attribute(exc: RPCError) -> bool:
    """Whether the server refused a workflow start for a search attribute it does not know."""
    return exc.status is RPCStatusCode.INVALID_ARGUMENT and "search attribute" in str(exc)
