"""The OpenAPI 3.1 document of the workbench API, generated from its pydantic response models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from floe_core.ui._models import (
    ApiError,
    ColumnTrace,
    LineageGraph,
    ModelDetail,
    ModelList,
    RunDetail,
    RunList,
    RunNode,
)

__all__ = ["openapi_document"]

_REF = "#/components/schemas/{model}"


def _query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "description": description,
            "schema": schema}  # fmt: skip


def _path(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string"}}  # fmt: skip


def _get(summary: str, model: type[BaseModel], parameters: list[dict[str, Any]]) -> dict[str, Any]:
    error = {"application/json": {"schema": {"$ref": _REF.format(model="ApiError")}}}
    return {
        "get": {
            "summary": summary,
            "parameters": parameters,
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {
                        "application/json": {"schema": {"$ref": _REF.format(model=model.__name__)}}
                    },
                },
                "400": {"description": "Bad parameter", "content": error},
                "401": {"description": "Token missing or wrong", "content": error},
                "404": {"description": "No such run or node", "content": error},
            },
        }
    }


def openapi_document(version: str) -> dict[str, Any]:
    models: list[type[BaseModel]] = [
        ApiError, RunList, RunDetail, RunNode, ModelList, ModelDetail, LineageGraph, ColumnTrace,
    ]  # fmt: skip
    _, schemas = models_json_schema(
        [(model, "serialization") for model in models], ref_template=_REF
    )
    run_id = _path("invocation_id", "The run's invocation id.")
    return {
        "openapi": "3.1.0",
        "info": {"title": "floe ui", "version": version,
                 "description": "Read-only views over the runs in a floe artifact store."},
        "components": {
            "schemas": schemas.get("$defs", {}),
            "securitySchemes": {"token": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{}, {"token": []}],
        "paths": {
            "/api/runs": _get("Runs, newest first (running ones too)", RunList, [
                _query("limit", "At most this many runs.", {"type": "integer", "minimum": 1}),
            ]),
            "/api/runs/{invocation_id}": _get("One run with its nodes (without their compiled"
                                              " SQL) and critical path",
                                              RunDetail, [run_id]),
            "/api/runs/{invocation_id}/nodes/{unique_id}": _get(
                "One node of the run with its compiled SQL", RunNode,
                [run_id, _path("unique_id", "dbt unique id.")]),
            "/api/runs/{invocation_id}/events": {"get": {
                "summary": "The run's events as server-sent events (text/event-stream), from"
                           " the first one; ends after run_finished.",
                "parameters": [run_id],
                "responses": {"200": {"description": "An event stream",
                                      "content": {"text/event-stream": {}}}},
            }},
            "/api/runs/{invocation_id}/files/{name}": {"get": {
                "summary": "A kept file of the run (invocation.json, result.json, events.jsonl,"
                           " manifest.json, run_results.json, catalog.json, sources.json,"
                           " dbt.log)",
                "parameters": [run_id, _path("name", "The file's name.")],
                "responses": {"200": {"description": "The file as stored"},
                              "404": {"description": "The run did not keep such a file"}},
            }},
            "/api/models": _get("Models, seeds, snapshots, sources and exposures of the newest"
                                " manifest",
                                ModelList, [_query("q", "Name or description contains this.",
                                                   {"type": "string"})]),
            "/api/models/{unique_id}": _get("One node: columns, tests, neighbours, code",
                                            ModelDetail, [_path("unique_id", "dbt unique id.")]),
            "/api/lineage": _get("The lineage graph, whole or around one node", LineageGraph, [
                _query("node", "Focus node (unique id); the whole graph without it.",
                       {"type": "string"}),
                _query("depth", "Hops up- and downstream of the focus node.",
                       {"type": "integer", "minimum": 0, "maximum": 50}),
                _query("select", "A dbt selection (e.g. +orders, tag:nightly), evaluated by"
                       " floe's plan; only the nodes it selects and the sources they read.",
                       {"type": "string"}),
                _query("tests", "1 draws tests too.", {"type": "string", "enum": ["0", "1"]}),
            ]),
            "/api/column-lineage": _get("Where a column comes from and what is computed from"
                                        " it (from the models' compiled SQL)", ColumnTrace, [
                _query("node", "The node (unique id).", {"type": "string"}),
                _query("column", "One of its columns.", {"type": "string"}),
            ]),
        },
    }  # fmt: skip
