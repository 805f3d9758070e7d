"""The Discovery API subset the fake answers, executed by graphql-core against our own schema.

``job(id, runId)`` with its ``models``/``tests``/``seeds``/``snapshots`` lists (filtered by
``database``, ``schema``, ``identifier``) and single lookups (``model(uniqueId: ...)``). A real
GraphQL engine means what the real endpoint refuses is refused here too: an unknown field or
argument, a missing required argument or a wrong type come back as HTTP 200 with ``errors[]``,
never as a silent ``{}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from graphql import build_schema, graphql_sync

from floe_dbt_cloud.testing._state import FakeRun

__all__ = ["DISCOVERY_SDL", "execute_discovery_query"]

_NODE_FIELDS = """
    uniqueId: String!
    name: String
    resourceType: String!
    status: String
    error: String
    executionTime: Float
    executeStartedAt: DateTime
    executeCompletedAt: DateTime
    runGeneratedAt: DateTime
    database: String
    schema: String
    alias: String
    runId: BigInt
    jobId: BigInt
"""
_KINDS = {"models": "model", "tests": "test", "seeds": "seed", "snapshots": "snapshot"}
_TYPES = {"model": "ModelNode", "test": "TestNode", "seed": "SeedNode", "snapshot": "SnapshotNode"}
_FILTERS = "database: String, schema: String, identifier: String"

DISCOVERY_SDL = (
    "scalar BigInt\nscalar DateTime\n"
    "type Query { job(id: BigInt!, runId: BigInt): JobNode }\n"
    "type JobNode { id: BigInt!\n runId: BigInt\n"
    + "".join(
        f" {plural}({_FILTERS}): [{kind}!]!\n {single}(uniqueId: String!): {kind}\n"
        for plural, single in _KINDS.items()
        if (kind := _TYPES[single])
    )
    + "}\n"
    + "type ModelNode {"
    + _NODE_FIELDS
    + " materializedType: String\n}\n"
    + "".join(f"type {_TYPES[k]} {{{_NODE_FIELDS}}}\n" for k in ("test", "seed", "snapshot"))
)
"""The schema served (our own reading of the Discovery API's documented ``job`` query)."""

_SCHEMA = build_schema(DISCOVERY_SDL)

FindRun = Callable[[int, "int | None"], "FakeRun | None"]


def _as_id(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"Argument '{name}' expects a BigInt, got {value!r}") from None


def _job_view(run: FakeRun) -> dict[str, Any]:
    nodes = [{**node, "runId": run.id, "jobId": run.job.id} for node in run.live_nodes.values()]

    def listing(kind: str) -> Callable[..., list[dict[str, Any]]]:
        def resolve(
            info: Any,
            database: str | None = None,
            schema: str | None = None,
            identifier: str | None = None,
        ) -> list[dict[str, Any]]:
            wanted = {"database": database, "schema": schema, "alias": identifier}
            return [
                node
                for node in nodes
                if node.get("resourceType") == kind
                and all(v is None or node.get(k) == v for k, v in wanted.items())
            ]

        return resolve

    def lookup(kind: str) -> Callable[..., dict[str, Any] | None]:
        def resolve(info: Any, uniqueId: str) -> dict[str, Any] | None:
            for node in nodes:
                if node.get("resourceType") == kind and node["uniqueId"] == uniqueId:
                    return node
            return None

        return resolve

    view: dict[str, Any] = {"id": run.job.id, "runId": run.id}
    for plural, single in _KINDS.items():
        view[plural] = listing(single)
        view[single] = lookup(single)
    return view


def execute_discovery_query(body: Any, find_run: FindRun) -> dict[str, Any]:
    """The GraphQL response body for a request ``body``; ``find_run(job_id, run_id)``."""
    if not isinstance(body, dict) or not isinstance(body.get("query"), str):
        return {"errors": [{"message": "Must provide a query string."}]}
    variables = body.get("variables")
    if variables is not None and not isinstance(variables, dict):
        return {"errors": [{"message": "Variables must be provided as an object."}]}

    def job(info: Any, id: Any, runId: Any = None) -> dict[str, Any] | None:
        run_id = None if runId is None else _as_id(runId, "runId")
        run = find_run(_as_id(id, "id"), run_id)
        return None if run is None else _job_view(run)

    result = graphql_sync(
        _SCHEMA,
        body["query"],
        root_value={"job": job},
        variable_values=variables,
        operation_name=body.get("operationName")
        if isinstance(body.get("operationName"), str)
        else None,
    )
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    return payload
