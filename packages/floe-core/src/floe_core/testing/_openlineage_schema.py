"""Check OpenLineage events against the specification's JSON schemas.

The event is checked against ``OpenLineage.json`` and every facet it carries against its facet
schema, chosen by the facet's key: the vendored spec schemas (``openlineage_spec/``) for the
standard facets, ``floe_core/lineage/facets/`` for floe's own. A facet key without a schema is
only checked as a generic facet (``_producer`` and ``_schemaURL``), as the spec does.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

__all__ = ["validate_openlineage_event"]

_SPEC = Path(__file__).with_name("openlineage_spec")
_FLOE_FACETS = Path(__file__).parent.parent / "lineage" / "facets"
_FACET_LOCATIONS = (
    ("run", "facets"),
    ("job", "facets"),
    ("inputs", "facets"),
    ("inputs", "inputFacets"),
    ("outputs", "facets"),
    ("outputs", "outputFacets"),
)


@cache
def _validators() -> tuple[Any, dict[str, Any]]:
    """The event validator and one validator per facet key."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    schemas = [json.loads(path.read_text("utf-8")) for path in _schema_files()]
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas
    )
    event_schema = json.loads((_SPEC / "OpenLineage.json").read_text("utf-8"))
    registry = registry.with_resource(event_schema["$id"], Resource.from_contents(event_schema))
    formats = Draft202012Validator.FORMAT_CHECKER  # uuid, uri, date-time
    by_key = {
        key: Draft202012Validator(schema, registry=registry, format_checker=formats)
        for schema in schemas
        for key in schema.get("properties", {})
    }
    run_event = {"$ref": f"{event_schema['$id']}#/$defs/RunEvent"}
    return Draft202012Validator(run_event, registry=registry, format_checker=formats), by_key


def _schema_files() -> list[Path]:
    return sorted((_SPEC / "facets").glob("*.json")) + sorted(_FLOE_FACETS.glob("*.json"))


def validate_openlineage_event(event: dict[str, Any]) -> None:
    """Raise ``AssertionError`` listing every violation of the spec in run event ``event``
    (as JSON, the way a receiver gets it)."""
    event_validator, facet_validators = _validators()
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in event_validator.iter_errors(event)]
    for section, facets_key in _FACET_LOCATIONS:
        holders = event.get(section) or []
        for holder in holders if isinstance(holders, list) else [holders]:
            for key, facet in (holder.get(facets_key) or {}).items():
                validator = facet_validators.get(key)
                if validator is None:
                    continue
                problems.extend(
                    f"{section}.{facets_key}.{key} {list(e.absolute_path)}: {e.message}"
                    for e in validator.iter_errors({key: facet})
                )
    if problems:
        job = (event.get("job") or {}).get("name")
        raise AssertionError(
            f"OpenLineage event {event.get('eventType')} of {job!r} breaks the spec:\n  "
            + "\n  ".join(problems)
        )
