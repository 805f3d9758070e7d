"""Write docs/manifest-reference.md from the platform-manifest.yaml pydantic models.

Types, constraints and defaults come from the models' JSON schema; descriptions from the
fields' attribute docstrings. Run after changing ``floe_core.manifest`` (a test fails until
the committed reference matches)::

    .venv/bin/python docs/generate_manifest_reference.py
"""

from __future__ import annotations

import ast
import inspect
import itertools
import json
import textwrap
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import to_jsonable_python

from floe_core.manifest import PlatformManifest, starter_manifest
from floe_core.warehouses import BUILTIN_WAREHOUSES

REFERENCE = Path(__file__).with_name("manifest-reference.md")

# Examples for fields whose default says nothing (required, or None by default).
EXAMPLES: dict[str, Any] = {
    "metadata.name": "shop-demo",
    "metadata.labels": {"team": "data-platform"},
    "project.dir": "examples/shop",
    "project.target": "prod",
    "project.vars": {"start_date": "2024-01-01"},
    "project.source[git].url": "https://github.com/acme/analytics.git",
    "project.source[git].ref": "v1.4.0",
    "project.source[git].subdir": "dbt",
    "project.source[git].token": "${env:GIT_TOKEN}",
    "project.source[s3].url": "s3://acme-dbt/projects/shop",
    "project.source[s3].options": {"region": "eu-west-1"},
    "plugins.dbt_runtime.type": "local",
    "plugins.dbt_runtime.config": {"threads": 8},
    "compute.type": "duckdb",
    "compute[duckdb].config.path": ".floe/warehouse/shop.duckdb",
    "compute[duckdb].config.extensions": ["httpfs"],
    "compute[duckdb].config.settings": {"memory_limit": "2GB"},
    "compute[postgres].config.host": "localhost",
    "compute[postgres].config.user": "floe",
    "compute[postgres].config.password": "${env:PG_PASSWORD}",
    "compute[postgres].config.dbname": "shop",
    "compute[redshift].config.host": "examplecluster.abc123xyz789.us-west-2.redshift.amazonaws.com",
    "compute[redshift].config.user": "floe",
    "compute[redshift].config.password": "${env:REDSHIFT_PASSWORD}",
    "compute[redshift].config.dbname": "analytics",
    "compute[redshift].config.cluster_id": "examplecluster",
    "compute[redshift].config.region": "us-west-2",
    "compute[redshift].config.iam_profile": "data-platform",
    "compute[redshift].config.connect_timeout": 10,
    "compute[snowflake].config.account": "myorg-myaccount",
    "compute[snowflake].config.user": "FLOE",
    "compute[snowflake].config.password": "${env:SNOWFLAKE_PASSWORD}",
    "compute[snowflake].config.authenticator": "externalbrowser",
    "compute[snowflake].config.private_key_path": "~/.ssh/snowflake_key.p8",
    "compute[snowflake].config.private_key_passphrase": "${env:SNOWFLAKE_KEY_PASSPHRASE}",
    "compute[snowflake].config.role": "TRANSFORMER",
    "compute[snowflake].config.database": "ANALYTICS",
    "compute[snowflake].config.warehouse": "TRANSFORMING",
    "compute[snowflake].config.schema": "MARTS",
    "compute[snowflake].config.query_tag": "floe",
    "compute[snowflake].config.connect_timeout": 30,
    "compute[bigquery].config.project": "acme-analytics",
    "compute[bigquery].config.dataset": "marts",
    "compute[bigquery].config.keyfile": "secrets/bigquery-sa.json",
    "compute[bigquery].config.location": "EU",
    "compute[bigquery].config.job_execution_timeout_seconds": 600,
    "compute[bigquery].config.job_retries": 2,
    "compute[bigquery].config.maximum_bytes_billed": 100000000000,
    "compute[databricks].config.host": "dbc-a1b2c3d4-e5f6.cloud.databricks.com",
    "compute[databricks].config.http_path": "/sql/1.0/warehouses/abc123",
    "compute[databricks].config.token": "${env:DATABRICKS_TOKEN}",
    "compute[databricks].config.auth_type": "oauth",
    "compute[databricks].config.catalog": "main",
    "compute[databricks].config.schema": "marts",
    "compute[databricks].config.connect_retries": 3,
    "compute[databricks].config.connect_timeout": 30,
    "compute[trino].config.host": "trino.internal",
    "compute[trino].config.user": "floe",
    "compute[trino].config.password": "${env:TRINO_PASSWORD}",
    "compute[trino].config.jwt_token": "${env:TRINO_JWT}",
    "compute[trino].config.database": "hive",
    "compute[trino].config.schema": "marts",
    "compute[trino].config.session_properties": {"query_max_run_time": "1h"},
    "profile.profiles_dir": "~/.dbt",
    "profile.profile_name": "shop",
    "artifacts.url": "s3://acme-floe/artifacts",
    "artifacts.options": {"region": "eu-west-1"},
    "artifacts.retention.keep_last": 50,
    "artifacts.retention.keep_days": 30,
    "observability.lineage.namespace": "shop",
    "observability.lineage.transport": {"type": "http", "url": "http://marquez:5000"},
    "observability.tracing.endpoint": "http://otel-collector:4318",
    "observability.tracing.headers": {"x-tenant": "data"},
    "observability.tracing.service_name": "floe",
}


def _attribute_docstrings(model: type[BaseModel]) -> dict[str, str]:
    """``{field: docstring}`` for string literals written right under a field."""
    docs: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or cls is BaseModel:
            continue
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
        body = tree.body[0].body if isinstance(tree.body[0], ast.ClassDef) else []
        for field, after in itertools.pairwise(body):
            if (
                isinstance(field, ast.AnnAssign)
                and isinstance(field.target, ast.Name)
                and isinstance(after, ast.Expr)
                and isinstance(after.value, ast.Constant)
                and isinstance(after.value.value, str)
            ):
                docs[field.target.id] = inspect.cleandoc(after.value.value)
    return docs


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if annotation is BaseModel:  # any model: the one chosen by the data (`compute.config`)
        return []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if typing.get_origin(annotation) is typing.Annotated:
        return _models_in(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [m for arg in typing.get_args(annotation) for m in _models_in(arg)]
    return []


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return "section (below)"
    if "const" in schema:
        return f"`{schema['const']}`"
    if "enum" in schema:
        return " \\| ".join(f"`{value}`" for value in schema["enum"])
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return " \\| ".join(dict.fromkeys(_type(option) for option in schema[key]))
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {_type(schema.get('items', {}))}"
    if kind == "object":
        values = schema.get("additionalProperties")
        return f"mapping of {_type(values)}" if isinstance(values, dict) else "mapping"
    if schema.get("format") == "path":
        kind = "path"
    bounds = [
        f"{symbol} {schema[key]}"
        for key, symbol in (
            ("minimum", "≥"),
            ("exclusiveMinimum", ">"),
            ("maximum", "≤"),
            ("exclusiveMaximum", "<"),
        )
        if key in schema
    ]
    if schema.get("minLength") == 1:
        bounds.append("non-empty")
    return f"{kind} ({', '.join(bounds)})" if bounds else kind


def _code(value: Any) -> str:
    return f"`{json.dumps(to_jsonable_python(value))}`"


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    value = field.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "see below"
    return _code(value)


def _example(path: str, field: FieldInfo, schema: dict[str, Any]) -> str:
    if path in EXAMPLES:
        return _code(EXAMPLES[path])
    if schema.get("examples"):
        return _code(schema["examples"][0])
    if "const" in schema:
        return _code(schema["const"])
    if not field.is_required():
        value = field.get_default(call_default_factory=True)
        if value not in (None, {}, []) and not isinstance(value, BaseModel):
            return _code(value)
    enum = schema.get("enum") or next(
        (o["enum"] for o in schema.get("anyOf", ()) if "enum" in o), None
    )
    return _code(enum[0]) if enum else ""


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _type_values(model: type[BaseModel]) -> list[str]:
    """The values a section's ``type`` field may take (its discriminator), if it has one."""
    prop = model.model_json_schema(by_alias=True)["properties"].get("type", {})
    if "const" in prop:
        return [str(prop["const"])]
    return [str(value) for value in prop.get("enum", ())]


def _sections(
    model: type[BaseModel], path: str, title: str, example_prefix: str, variant: str = ""
) -> list[tuple[str, type[BaseModel], str]]:
    """``(heading, model, EXAMPLES key prefix)`` of ``model`` and every section inside.

    A field holding one of several sections (``compute``) gets one heading per section,
    named by its ``type``; its EXAMPLES keys say which: ``compute[postgres].config.host``.
    """
    found = [(title + variant, model, example_prefix)]
    for name, field in model.model_fields.items():
        key = field.alias or name
        if hasattr(model, "model_of_field"):  # `compute.config`: one model per warehouse type
            for kind in BUILTIN_WAREHOUSES:
                settings = model.model_of_field(key, {"type": kind})
                if settings is not None:
                    found += _sections(
                        settings,
                        f"{path}{key}.",
                        f"`{path}{key}`",
                        f"{example_prefix.removesuffix('.')}[{kind}].{key}.",
                        f" (`{path}type: {kind}`)",
                    )
        options = _models_in(field.annotation)
        for option in options:
            which, tag = variant, ""
            values = _type_values(option)
            if len(options) > 1 and values:
                which, tag = f" (`{path}{key}.type: {' | '.join(values)}`)", f"[{values[0]}]"
            found += _sections(
                option, f"{path}{key}.", f"`{path}{key}`", f"{example_prefix}{key}{tag}.", which
            )
    return found


def render() -> str:
    lines = [
        "# platform-manifest.yaml reference",
        "",
        "<!-- generated by docs/generate_manifest_reference.py from floe_core.manifest;"
        " do not edit -->",
        "",
        "Every field floe reads from `platform-manifest.yaml`. Unknown fields are errors"
        " (reported with their line). `plugins.dbt_runtime.config` is validated by the chosen"
        " runtime's own config model (`floe validate` checks it). Secrets are written as"
        " `${env:NAME}` references, never as values.",
    ]
    for title, model, path in _sections(PlatformManifest, "", "Top level", ""):
        schema = model.model_json_schema(by_alias=True)
        docs = _attribute_docstrings(model)
        summary = inspect.cleandoc(model.__doc__ or "").split("\n\n")[0]
        lines += ["", f"## {title}", ""]
        if summary and model.__doc__ != BaseModel.__doc__:
            lines += [_cell(summary), ""]
        lines += [
            "| field | type | default | description | example |",
            "|---|---|---|---|---|",
        ]
        for name, field in model.model_fields.items():
            key = field.alias or name
            prop = schema["properties"][key]
            description = field.description or docs.get(name, "")
            lines.append(
                f"| `{key}` | {_type(prop)} | {_default(field)} | {_cell(description)} |"
                f" {_example(path + key, field, prop)} |"
            )
    example = starter_manifest(project_dir="examples/shop", runtime="local", name="shop-demo")
    lines += ["", "## A complete manifest", "", "```yaml", example.rstrip("\n"), "```"]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    REFERENCE.write_text(render(), encoding="utf-8")
    print(f"wrote {REFERENCE}")
