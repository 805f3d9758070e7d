"""Output without a terminal (CI logs), shaped like dbt's own.

A header (``Running with floe=..., runtime=..., dbt=...`` then ``Found 9 models, 4 seeds...``),
a ``START`` line per node as it starts, the finished-node lines of :mod:`._progress`, and at
the end only what failed or warned, under dbt's ``Completed with N errors`` heading with
each node's compiled-code path: a log reader sees what to fix, not the successes again.
"""

from __future__ import annotations

import importlib.metadata
import json
from collections import Counter
from pathlib import Path

from rich.console import Console

from floe_core._events import FloeEvent, NodeStarted, RunPlanned, RunStarted
from floe_core._results import DBTRunResult, NodeResult, NodeStatus
from floe_core.cli._summary import NOTHING_SELECTED, print_totals

__all__ = ["CIHeader", "print_completion", "start_line"]

_LINE_WIDTH = 80
_PLURALS = {
    "model": "models",
    "seed": "seeds",
    "snapshot": "snapshots",
    "test": "data tests",
    "unit_test": "unit tests",
    "analysis": "analyses",
    "source": "sources",
    "exposure": "exposures",
    "metric": "metrics",
    "semantic_model": "semantic models",
    "macro": "macros",
}


def _version(distribution: str) -> str | None:
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _project_counts(manifest_path: Path) -> str | None:
    """dbt's ``Found 9 models, 4 seeds, ...`` from the run's manifest.json."""
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    counts: Counter[str] = Counter()
    for section in ("nodes", "sources", "exposures", "metrics", "semantic_models", "macros"):
        for item in (manifest.get(section) or {}).values():
            counts[str(item.get("resource_type", section))] += 1
    found = [f"{counts[kind]} {label}" for kind, label in _PLURALS.items() if counts[kind]]
    return f"Found {', '.join(found)}" if found else None


class CIHeader:
    """An event subscriber printing the run's header lines and each node's START line."""

    def __init__(self, console: Console) -> None:
        self._console = console

    def __call__(self, event: FloeEvent) -> None:
        if isinstance(event, RunStarted):
            versions = [f"floe={_version('floe-core')}", f"runtime={event.runtime}"]
            dbt = _version("dbt-core")
            if dbt is not None:
                versions.append(f"dbt={dbt}")
            target = f", target={event.target}" if event.target else ""
            self._write(f"Running with {', '.join(versions)}{target}")
        elif isinstance(event, RunPlanned) and event.manifest_path is not None:
            found = _project_counts(event.manifest_path)
            if found is not None:
                self._write(found)
        elif isinstance(event, NodeStarted):
            self._write(start_line(event))

    def _write(self, line: str) -> None:
        self._console.file.write(line + "\n")
        self._console.file.flush()


def start_line(event: NodeStarted) -> str:
    """``1 of 12 START sql table model customers ........ [RUN]``, as dbt prints it."""
    kind = (
        f"sql {event.materialization} model"
        if event.resource_type == "model" and event.materialization
        else event.resource_type
    )
    position = f"{event.index} of {event.total} " if event.index and event.total else ""
    line = f"{position}START {kind} {event.name} "
    return line + "." * max(3, _LINE_WIDTH - len(line) - 6) + " [RUN]"


def _compiled_paths(result: DBTRunResult) -> dict[str, Path]:
    """unique id -> the compiled SQL dbt wrote next to the run's manifest.json, by dbt's
    own rule (one file per node; generic tests under their YAML file's name)."""
    if result.manifest_path is None:
        return {}
    try:
        nodes = json.loads(result.manifest_path.read_text(encoding="utf-8")).get("nodes", {})
    except (OSError, ValueError):
        return {}
    compiled = result.manifest_path.parent / "compiled"
    paths = {}
    for uid, node in nodes.items():
        source, own = node.get("original_file_path"), node.get("path")
        if not (source and own and node.get("package_name")):
            continue
        relative = source if Path(own).name == Path(source).name else str(Path(source) / own)
        path = compiled / node["package_name"] / relative
        if path.is_file():
            paths[uid] = path
    return paths


def _heading(errors: int, warnings: int) -> str:
    def plural(count: int, word: str) -> str:
        return f"{count} {word}{'' if count == 1 else 's'}"

    return f"Completed with {plural(errors, 'error')} and {plural(warnings, 'warning')}:"


def print_completion(console: Console, result: DBTRunResult, results_dir: str | None) -> None:
    """The end of a run for a log: what failed or warned (with its message and compiled
    code), the totals, the run status and where its results are kept."""
    failed = [node for node in result.nodes if node.status.is_failure]
    warned = [node for node in result.nodes if node.status is NodeStatus.WARN]
    if failed or warned:
        compiled = _compiled_paths(result)
        console.print()
        console.print(_heading(len(failed), len(warned)), markup=False)
        for node in (*failed, *warned):
            _print_node(console, node, compiled.get(node.unique_id))
    elif not result.nodes and result.error is None:
        console.print(NOTHING_SELECTED)
    elif result.error is None:
        console.print("\nCompleted successfully", markup=False)
    print_totals(console, result, results_dir)


def _print_node(console: Console, node: NodeResult, compiled_path: Path | None) -> None:
    heading = (
        f"\n{node.status.value.upper()} in {node.resource_type} {node.name} ({node.unique_id})"
    )
    console.print(heading, markup=False, soft_wrap=True)
    if node.message:
        console.print(f"  {node.message}", markup=False, soft_wrap=True)
    if compiled_path is not None:
        console.print(f"\n  compiled code at {compiled_path}", markup=False, soft_wrap=True)
