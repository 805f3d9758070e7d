"""Read platform-manifest.yaml into a :class:`PlatformManifest`, or say precisely what is wrong.

Every failure is a :class:`ManifestError` with ``location`` (``file:line``), ``field`` (dotted
YAML path) and a hint.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from floe_core._errors import ManifestError
from floe_core.manifest._diagnostics import describe_errors, summarize
from floe_core.manifest._models import API_VERSION, KIND, PlatformManifest
from floe_core.manifest._secrets import find_secret_refs, invalid_secret_ref, walk_strings
from floe_core.manifest._yaml import (
    KeyPath,
    LineMap,
    line_of,
    load_yaml_with_lines,
    parse_field_path,
)

__all__ = ["MANIFEST_FILENAME", "load_manifest", "missing_secrets", "parse_manifest"]

MANIFEST_FILENAME = "platform-manifest.yaml"

_HEADER_HINTS: dict[KeyPath, str] = {
    (key,): f"a platform manifest starts with `apiVersion: {API_VERSION}` and `kind: {KIND}`"
    for key in ("apiVersion", "kind")
}


def load_manifest(path: Path | str) -> PlatformManifest:
    """Load and validate a manifest file (or ``<dir>/platform-manifest.yaml`` for a folder).

    Secrets are not resolved here: a manifest validates without its ``${env:...}`` set.
    """
    path = Path(path)
    if path.is_dir():
        path = path / MANIFEST_FILENAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(
            f"{path}: platform manifest not found",
            hint="run `floe init` to write a starter platform-manifest.yaml, or pass"
            " --manifest PATH",
            location=str(path),
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(
            f"{path}: cannot read the platform manifest: {type(exc).__name__}",
            hint="check that the file is a readable UTF-8 text file",
            location=str(path),
        ) from exc
    return parse_manifest(text, source_path=path)


def parse_manifest(
    text: str, *, source_path: Path | None = None, base_dir: Path | None = None
) -> PlatformManifest:
    """Validate manifest YAML ``text``; ``source_path`` names it in errors and anchors paths."""
    source = str(source_path) if source_path is not None else "<manifest>"
    data, lines = load_yaml_with_lines(text, source=source)
    if data is None:
        raise ManifestError(
            f"{source}: the platform manifest is empty",
            hint=f"start with `apiVersion: {API_VERSION}` and `kind: {KIND}`, or run `floe init`",
            location=source,
        )
    if not isinstance(data, dict):
        raise ManifestError(
            f"{source}:1: the platform manifest must be a mapping, not {type(data).__name__}",
            hint=f"start with `apiVersion: {API_VERSION}` and `kind: {KIND}`",
            location=f"{source}:1",
        )
    _check_secret_syntax(data, source, lines)
    try:
        return PlatformManifest.from_data(
            data, source_path=source_path, base_dir=base_dir, lines=lines
        )
    except ValidationError as exc:
        problems = describe_errors(
            exc,
            model=PlatformManifest,
            data=data,
            locate=lambda path: _location(source, line_of(lines, path)),
            field_hints=_HEADER_HINTS,
        )
        first = problems[0]
        raise ManifestError(
            summarize(problems, source), hint=first.hint, location=first.location, field=first.field
        ) from None


def _check_secret_syntax(data: Any, source: str, lines: LineMap) -> None:
    for field, value in walk_strings(data):
        bad = invalid_secret_ref(value)
        if bad is None:
            continue
        location = _location(source, line_of(lines, parse_field_path(field)))
        shown = bad if bad.startswith("${env:") else "${...}"
        raise ManifestError(
            f"{location}: {field}: malformed secret reference {shown}",
            hint="write secrets as ${env:NAME}, NAME being an environment variable"
            " ([A-Za-z_][A-Za-z0-9_]*)",
            location=location,
            field=field,
        )


def _location(source: str, line: int | None) -> str:
    return f"{source}:{line}" if line is not None else source


def missing_secrets(manifest: PlatformManifest) -> list[tuple[str, str]]:
    """``(field, env_name)`` for every ``${env:NAME}`` in the manifest whose NAME is unset."""
    data = manifest.model_dump(mode="json", by_alias=True, exclude_none=True)
    return [
        (field, name)
        for field, value in walk_strings(data)
        for name in find_secret_refs(value)
        if name not in os.environ
    ]
