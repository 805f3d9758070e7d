"""The Discovery API subset the fake answers: ``job(id, runId) { models tests seeds snapshots }``.

Like the real endpoint, problems come back as HTTP 200 with ``errors[]``. Only the fields a
query selects are returned; an unknown field is an error, as in GraphQL.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from floe_dbt_cloud.testing._state import FakeRun

__all__ = ["execute_discovery_query"]

_KINDS = {"models": "model", "tests": "test", "seeds": "seed", "snapshots": "snapshot"}
_FIELDS = {
    "uniqueId",
    "name",
    "resourceType",
    "status",
    "executionTime",
    "executeStartedAt",
    "executeCompletedAt",
    "error",
}


def _argument(arguments: str, name: str, variables: Mapping[str, Any]) -> int | None:
    match = re.search(rf"\b{name}\s*:\s*(\$?\w+)", arguments)
    if match is None:
        return None
    token = match.group(1)
    value = variables.get(token[1:]) if token.startswith("$") else token
    return int(value) if value is not None else None


def execute_discovery_query(
    query: str, variables: Mapping[str, Any], find_run: Callable[[int, int | None], FakeRun | None]
) -> dict[str, Any]:
    """The GraphQL response body for ``query``; ``find_run(job_id, run_id)`` looks runs up."""
    call = re.search(r"\bjob\s*\(([^)]*)\)\s*\{", query)
    if call is None:
        return {"errors": [{"message": "fake dbt Cloud answers only job(id, runId) queries"}]}
    job_id = _argument(call.group(1), "id", variables)
    if job_id is None:
        return {"errors": [{"message": "Argument 'id' of type 'BigInt!' is required"}]}
    run = find_run(job_id, _argument(call.group(1), "runId", variables))
    body = query[call.end() :]
    job: dict[str, Any] = {}
    for kind, resource_type in _KINDS.items():
        selection = re.search(rf"\b{kind}\s*\{{([^{{}}]*)\}}", body)
        if selection is None:
            continue
        fields = selection.group(1).split()
        unknown = [field for field in fields if field not in _FIELDS]
        if unknown:
            return {"errors": [{"message": f"Cannot query field '{unknown[0]}' on {kind}"}]}
        nodes = [] if run is None else list(run.live_nodes.values())
        job[kind] = [
            {field: node.get(field) for field in fields}
            for node in nodes
            if node.get("resourceType") == resource_type
        ]
    return {"data": {"job": job if run is not None else None}}
