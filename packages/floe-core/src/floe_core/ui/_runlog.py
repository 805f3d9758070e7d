"""The lines of a run's dbt.log about one node: what a person scrolls the log for.

dbt's file log appends every invocation of the project to one file, interleaves the threads,
and continues a message (an error and its SQL) on lines without a timestamp. A node's lines
are those of the thread that ran it, between dbt's ``Began running node <id>`` and
``Finished running node <id>`` of the *last* time it ran (the stored log may hold older
invocations too). Of those, the error and warning messages with their continuation lines are
what explains a failure; without them, the block's last lines are.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["node_log"]

_LINE = re.compile(
    r"^(?:\x1b\[[0-9;]*m)?\d\d:\d\d:\d\d\.\d+ \[(?P<level>[a-z ]+)\] \[(?P<thread>[^\]]*)\]: "
)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_TELLING = re.compile(r"\b(Error|Failure|Warning) in |Got \d+ results?")
"""dbt's messages explaining a node's outcome (``Database Error in model x``, ``Failure in
test y``, ``Got 3 results, configured to fail if != 0``)."""
MAX_LINES = 40
_TAIL = 12


def node_log(log: Sequence[str], unique_id: str) -> list[str]:
    """The telling lines of the last block of ``log`` that ran ``unique_id`` (at most 40)."""
    began = f"Began running node {unique_id}"
    start = next((i for i in range(len(log) - 1, -1, -1) if log[i].endswith(began)), None)
    if start is None:
        return []
    header = _LINE.match(log[start])
    thread = header.group("thread") if header else None
    finished = f"Finished running node {unique_id}"
    block: list[tuple[str, str]] = []  # (level, line) of this node's thread
    continuing = False
    for line in log[start:]:
        match = _LINE.match(line)
        if match is None:
            if continuing:
                block.append((block[-1][0], line))
            continue
        continuing = match.group("thread") == thread
        if continuing:
            block.append((match.group("level").strip(), line))
            if line.endswith(finished):
                break
    telling = _telling(block)
    lines = telling or [line for _, line in block[-_TAIL:]]
    cleaned = (_ANSI.sub("", line.rstrip()) for line in lines)
    return [line for line in cleaned if line.strip()][:MAX_LINES]


def _telling(block: list[tuple[str, str]]) -> list[str]:
    """Error/warning messages and their continuation lines."""
    kept: list[str] = []
    keeping = False
    for level, line in block:
        match = _LINE.match(line)
        if match is not None:
            message = line[match.end() :]
            keeping = level in ("error", "warn") or _TELLING.search(message) is not None
        if keeping and line.strip():
            kept.append(line)
    return kept
