"""YAML with line numbers: every mapping key's line, so errors point into the file."""

from __future__ import annotations

import re
from typing import Any

import yaml

from floe_core._errors import ManifestError

__all__ = [
    "KeyPath",
    "LineMap",
    "dotted",
    "line_of",
    "load_yaml_with_lines",
    "parse_field_path",
]

KeyPath = tuple[str | int, ...]
LineMap = dict[KeyPath, int]
"""Key path (``("plugins", "dbt_runtime", "config")``) -> 1-based line of that key."""

_MERGE_TAG = "tag:yaml.org,2002:merge"
_INDEX = re.compile(r"\[(\d+)\]")


def parse_field_path(field: str) -> KeyPath:
    """``"a.b[0].c"`` -> ``("a", "b", 0, "c")``."""
    parts: list[str | int] = []
    for segment in field.split("."):
        head, *indexes = _INDEX.split(segment)
        if head:
            parts.append(head)
        parts.extend(int(index) for index in indexes if index)
    return tuple(parts)


def dotted(path: KeyPath) -> str:
    """``("a", "b", 0, "c")`` -> ``"a.b[0].c"``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def line_of(lines: LineMap, path: KeyPath) -> int | None:
    """The line of ``path``, else of its nearest ancestor present in the file."""
    for depth in range(len(path), 0, -1):
        line = lines.get(path[:depth])
        if line is not None:
            return line
    return None


class _LineRecordingLoader(yaml.SafeLoader):
    """A SafeLoader that also records the line of every mapping key and list item."""

    def compose_with_lines(self) -> tuple[yaml.Node | None, LineMap]:
        node = self.get_single_node()
        lines: LineMap = {}
        if node is not None:
            self._record(node, (), lines)
        return node, lines

    def _record(self, node: yaml.Node, path: KeyPath, lines: LineMap) -> None:
        if isinstance(node, yaml.MappingNode):
            own: dict[str, int] = {}
            for key_node, _ in node.value:
                key = _key(key_node)
                if key is None or key_node.tag == _MERGE_TAG:
                    continue
                line = key_node.start_mark.line + 1
                if key in own:
                    raise _DuplicateKeyError((*path, key), own[key], line)
                own[key] = line
            self.flatten_mapping(node)  # `<<: *anchor` keys, as construction will see them
            effective = {_key(key_node): value for key_node, value in node.value}
            for key_node, _ in node.value:
                key = _key(key_node)
                if key is not None:
                    lines[(*path, key)] = own.get(key, key_node.start_mark.line + 1)
            for key, value_node in effective.items():
                if key is not None:
                    self._record(value_node, (*path, key), lines)
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                lines[(*path, index)] = item.start_mark.line + 1
                self._record(item, (*path, index), lines)


def _key(node: yaml.Node) -> str | None:
    return node.value if isinstance(node, yaml.ScalarNode) and isinstance(node.value, str) else None


class _DuplicateKeyError(Exception):
    def __init__(self, path: KeyPath, first_line: int, line: int) -> None:
        super().__init__(path)
        self.path = path
        self.first_line = first_line
        self.line = line


def load_yaml_with_lines(text: str, *, source: str) -> tuple[Any, LineMap]:
    """Parse ``text``; returns the data and its :data:`LineMap`.

    Malformed YAML and duplicate keys raise :class:`ManifestError` located at ``source:line``.
    """
    loader = _LineRecordingLoader(text)
    try:
        node, lines = loader.compose_with_lines()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        raise _yaml_error(exc, source) from exc
    except yaml.YAMLError as exc:
        raise ManifestError(
            f"{source}: not valid YAML: {type(exc).__name__}", location=source
        ) from exc
    except _DuplicateKeyError as exc:
        field = dotted(exc.path)
        raise ManifestError(
            f"{source}:{exc.line}: {field}: duplicate key (first defined on line {exc.first_line})",
            hint="YAML would silently keep only the last value; remove one of them",
            location=f"{source}:{exc.line}",
            field=field,
        ) from None
    finally:
        loader.dispose()
    return data, lines


def _yaml_error(exc: yaml.MarkedYAMLError, source: str) -> ManifestError:
    # Built from the problem and the marks only: str(exc) would quote the offending line,
    # which may hold a value that must not be echoed.
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    location = f"{source}:{line}" if line is not None else source
    where = f" (line {line}, column {mark.column + 1})" if mark is not None else ""
    what = "; ".join(part for part in (exc.context, exc.problem) if part)
    return ManifestError(
        f"{location}: not valid YAML{where}: {what}",
        hint="fix the YAML syntax at that position (indentation, a missing ':' or an unclosed"
        " quote are the usual causes)",
        location=location,
    )
