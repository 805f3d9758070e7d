"""``source freshness`` on dbt Cloud: the sources dbt's sources.json leaves out.

dbt 1.11 writes no sources.json entry for a source whose freshness query broke (a missing
table, a bad ``loaded_at_field``): it only logs ``N of M ERROR freshness of SOURCE.TABLE``
and, at the end, ``Runtime Error in source TABLE (PATH)`` with the database's message. The
local and temporal runtimes see those errors in-process; on dbt Cloud, what the API gives is
the step's artifacts and its log. So a source the step checked (its ``START freshness``
line; without a log line, every source with a freshness rule when nothing was selected) that
is missing from sources.json is reported as ``runtime error``, with the message its log
block holds, and added to sources.json as dbt < 1.11 wrote it (``SourceFreshnessRuntimeError``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["with_runtime_errors"]

_TIMESTAMP = re.compile(r"^\d\d:\d\d:\d\d(\.\d+)?\s+")
_CHECKED = re.compile(r"^\d+ of \d+ START freshness of (?P<name>\S+)")
_ERROR_BLOCK = re.compile(r"^\s*Runtime Error in source (?P<table>\S+) \((?P<path>[^)]*)\)\s*$")
_NO_MESSAGE = "dbt reported no freshness for this source (its query failed); see the step's log"


def _lines(logs: str) -> list[str]:
    return [_TIMESTAMP.sub("", line) for line in logs.splitlines()]


def _error_messages(lines: list[str]) -> dict[tuple[str, str], str]:
    """``(table, file path) -> message`` of each ``Runtime Error in source`` block."""
    found: dict[tuple[str, str], str] = {}
    for at, line in enumerate(lines):
        header = _ERROR_BLOCK.match(line)
        if header is None:
            continue
        block = []
        for following in lines[at + 1 :]:
            if (following and not following[0].isspace()) or _ERROR_BLOCK.match(following):
                break
            block.append(following)
        # dbt's own message (what the local runtime reports): dbt's log indents its first line
        message = "\n".join((line.strip(), *block)).rstrip()
        found[(header["table"], header["path"])] = message
    return found


def _has_freshness_rule(source: Mapping[str, Any]) -> bool:
    rule = source.get("freshness") or {}
    return any((rule.get(level) or {}).get("count") for level in ("warn_after", "error_after"))


def with_runtime_errors(
    sources_json: Mapping[str, Any],
    manifest: Mapping[str, Any],
    logs: str,
    *,
    selects_all: bool,
) -> dict[str, Any]:
    """``sources_json`` with a ``runtime error`` entry for each checked source it lacks."""
    sources: Mapping[str, Any] = manifest.get("sources") or {}
    by_name = {f"{s.get('source_name')}.{s.get('name')}": uid for uid, s in sources.items()}
    lines = _lines(logs)
    checked = {
        by_name[m["name"]] for line in lines if (m := _CHECKED.match(line)) and m["name"] in by_name
    }
    if not checked and selects_all:
        checked = {uid for uid, source in sources.items() if _has_freshness_rule(source)}
    results = list(sources_json.get("results") or ())
    reported = {str(entry.get("unique_id")) for entry in results}
    messages = _error_messages(lines)
    for unique_id in sorted(checked - reported):
        source = sources[unique_id]
        where = (str(source.get("name")), str(source.get("original_file_path")))
        results.append(
            {
                "unique_id": unique_id,
                "error": messages.get(where, _NO_MESSAGE),
                "status": "runtime error",
            }
        )
    return {**sources_json, "results": results}
