"""What each dbt command needs beyond the shared arguments, and what it prints.

The node-running commands (``build``, ``run``...) need only :func:`~floe_dbt_inprocess.
dbt_args`; the others take their own options (``ls --output``, ``show --limit``,
``run-operation MACRO --args``, ``retry --state``) and print something for their user
(``ls`` lines, compiled SQL, a preview, ``debug``'s report) that floe returns as
:attr:`DBTRunResult.output <floe_core.DBTRunResult.output>`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from floe_core import DBTCommand, DBTInvocation
from floe_dbt_inprocess import retryable_node_ids

__all__ = [
    "MANIFEST_FREE_COMMANDS",
    "WRITES_OWN_ARTIFACTS",
    "command_options",
    "command_output",
    "keep_freshness_runtime_errors",
    "planned_node_ids",
]

MANIFEST_FREE_COMMANDS = frozenset({DBTCommand.DEPS, DBTCommand.CLEAN, DBTCommand.DEBUG})
"""Commands dbt runs without parsing the project (``deps`` installs what parsing needs)."""

WRITES_OWN_ARTIFACTS = frozenset({DBTCommand.SOURCE_FRESHNESS, DBTCommand.DOCS_GENERATE})
"""Commands whose artifact (sources.json, catalog.json) dbt writes only with ``--write-json``."""


def command_options(command: DBTCommand, invocation: DBTInvocation) -> list[str]:
    """The dbt options of ``command`` that come from ``invocation.command_args``."""
    given = invocation.command_args
    options = given.dbt_options(command)
    if command is DBTCommand.RETRY and given.state_dir is not None:
        options += ["--state", str(given.state_dir.absolute())]
    return options


def planned_node_ids(
    command: DBTCommand, invocation: DBTInvocation, manifest: Any, executed: tuple[str, ...]
) -> tuple[str, ...]:
    """The nodes ``command`` reports events for; ``executed`` is what the selection runs."""
    if invocation.command_args.inline is not None:
        return ()
    if command is DBTCommand.RETRY:
        return _retried_ids(invocation.command_args.state_dir, manifest)
    return executed


def _retried_ids(state_dir: Path | None, manifest: Any) -> tuple[str, ...]:
    if state_dir is None:
        return ()
    path = state_dir / "run_results.json"
    try:
        previous = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()  # dbt retry itself says what is wrong with the state
    return tuple(uid for uid in retryable_node_ids(previous) if uid in manifest.nodes)


def command_output(
    command: DBTCommand, invocation: DBTInvocation, result: Any, messages: str | None
) -> str | None:
    """What ``command`` prints for its user, from dbt's result and console messages."""
    if command is DBTCommand.LIST and isinstance(result, list):
        return "\n".join(str(line) for line in result)
    if command is DBTCommand.COMPILE:
        return _compiled_output(invocation, getattr(result, "results", ()))
    if command is DBTCommand.SHOW:
        return _preview_output(getattr(result, "results", ()))
    if command in (*MANIFEST_FREE_COMMANDS, DBTCommand.RUN_OPERATION):
        return messages
    return None


def _compiled_output(invocation: DBTInvocation, results: Iterable[Any]) -> str | None:
    """The SQL ``dbt compile`` prints: the inline query's, or each selected node's."""
    inline = invocation.command_args.inline is not None
    named = {word for value in invocation.select for word in value.split()}
    blocks = []
    for result in results:
        node = result.node
        code = getattr(node, "compiled_code", None)
        if not isinstance(code, str):
            continue
        if inline or node.name in named:
            blocks.append(code.strip() if inline else f"-- {node.name}\n{code.strip()}")
    return "\n\n".join(blocks) if blocks else None


def _preview_output(results: Iterable[Any]) -> str:
    """``dbt show --output json``'s document: each previewed node and its rows."""
    shown = []
    for result in results:
        table = getattr(result, "agate_table", None)
        if table is None:
            continue
        columns = [str(name) for name in table.column_names]
        rows = [
            {column: _plain(value) for column, value in zip(columns, row, strict=True)}
            for row in table.rows
        ]
        shown.append({"node": result.node.name, "columns": columns, "show": rows})
    return json.dumps(shown[0] if len(shown) == 1 else shown, indent=2)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return value


def keep_freshness_runtime_errors(sources_json: Path, result: Any) -> None:
    """Add to dbt's sources.json the sources whose freshness query broke (a missing table, a
    bad ``loaded_at_field``): dbt 1.11 writes only ``SourceFreshnessResult`` entries, and
    drops these ``runtime error`` ones that earlier versions (and floe's other runtimes)
    write as ``{"unique_id", "error", "status": "runtime error"}``."""
    from dbt.artifacts.schemas.freshness.v3.freshness import process_freshness_result

    broken = [
        process_freshness_result(r).to_dict(omit_none=False)
        for r in getattr(result, "results", ())
        if str(r.status) == "runtime error"  # dbt's FreshnessStatus.RuntimeErr
    ]
    if not broken or not sources_json.is_file():
        return
    document = json.loads(sources_json.read_text(encoding="utf-8"))
    listed = {entry.get("unique_id") for entry in document.get("results", ())}
    document["results"] = [
        *document.get("results", ()),
        *(entry for entry in broken if entry["unique_id"] not in listed),
    ]
    sources_json.write_text(json.dumps(document, indent=2), encoding="utf-8")
