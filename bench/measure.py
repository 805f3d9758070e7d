"""Run one command as a subprocess and measure its wall time, CPU time and peak memory.

Peak RSS is the larger of two readings:

- ``child_maxrss``: the kernel's high-water mark (``ru_maxrss``) of the command's own process;
  exact, but for descendants it is the largest *single* process, not their sum.
- ``tree_peak_rss``: the largest *sum* of RSS over the command's process tree (e.g. Temporal
  workers it spawns), sampled from ``/proc`` every ``sample_interval`` seconds; it can miss a
  peak shorter than the interval. Servers a subject talks to but did not start (a Temporal
  dev server, PostgreSQL) are not counted. A sample costs ~5 ms of CPU on this machine (a
  scan of ``/proc``), the same for every subject.

Linux carries ``ru_maxrss`` across ``execve`` from the process that exec'd: a command
spawned directly by this (possibly large) process would report at least this process's peak.
So the command is started by a small trampoline that forks it and reports its rusage, and the
command's high-water mark starts from the trampoline's few MiB.

CPU time (user + system of the command and the children it waited for) is recorded too: on a
shared machine it is far less sensitive to other load than wall time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Measurement", "measure", "process_tree_rss"]

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")

# argv: <rusage file> <command...>. Forks the command, waits, writes "maxrss_kib cpu status".
_TRAMPOLINE = """
import os, sys
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[2], sys.argv[2:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as out:
    out.write(f"{usage.ru_maxrss} {usage.ru_utime + usage.ru_stime} {status}")
code = os.waitstatus_to_exitcode(status)
sys.exit(code if code >= 0 else 128 - code)
"""


@dataclass(frozen=True)
class Measurement:
    """What one execution of a command cost."""

    wall_seconds: float
    peak_rss_bytes: int
    child_maxrss_bytes: int
    tree_peak_rss_bytes: int
    cpu_seconds: float
    """User + system CPU time of the command and the descendants it waited for."""
    returncode: int
    log_path: Path

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def _proc_table() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, RSS bytes) for every process we can read."""
    table: dict[int, tuple[int, int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:  # the process exited between listdir and open
            continue
        # Fields after the parenthesised command name: state ppid ... (rss is field 24).
        fields = stat[stat.rfind(b")") + 2 :].split()
        table[int(entry)] = (int(fields[1]), int(fields[21]) * _PAGE_SIZE)
    return table


def process_tree_rss(root: int, *, include_root: bool = True) -> int:
    """Sum of the RSS of ``root``'s descendants (and ``root``), in bytes (0 if gone)."""
    table = _proc_table()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        if pid in table and (include_root or pid != root):
            total += table[pid][1]
        stack.extend(children.get(pid, ()))
    return total


class _TreeSampler(threading.Thread):
    """Samples the tree's RSS until stopped; kills the process group past the deadline."""

    def __init__(self, root: int, interval: float, deadline: float) -> None:
        super().__init__(name="bench-rss-sampler", daemon=True)
        self._root, self._interval, self._deadline = root, interval, deadline
        self._stopped = threading.Event()
        self.peak = 0

    def run(self) -> None:
        while not self._stopped.is_set():
            # The root is the trampoline: count the command's tree only.
            self.peak = max(self.peak, process_tree_rss(self._root, include_root=False))
            if time.perf_counter() > self._deadline:
                os.killpg(self._root, signal.SIGKILL)
                return
            self._stopped.wait(self._interval)

    def stop(self) -> None:
        self._stopped.set()
        self.join()


def measure(
    argv: Sequence[str],
    *,
    cwd: Path,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 3600.0,
    sample_interval: float = 0.2,
) -> Measurement:
    """Run ``argv`` to completion; stdout and stderr go to ``log_path``.

    On timeout the whole process group is killed and the measurement has return code -9.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    usage_path = log_path.with_suffix(".rusage")
    usage_path.unlink(missing_ok=True)
    trampoline = [sys.executable, "-S", "-c", _TRAMPOLINE, str(usage_path), *argv]
    with log_path.open("wb") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            trampoline,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a timeout kills the tree
        )
        sampler = _TreeSampler(process.pid, sample_interval, deadline=started + timeout)
        sampler.start()
        process.wait()
        wall = time.perf_counter() - started
        sampler.stop()
    try:
        maxrss_kib, cpu, status = usage_path.read_text(encoding="utf-8").split()
        returncode = os.waitstatus_to_exitcode(int(status))
    except (OSError, ValueError):  # the trampoline itself was killed (timeout)
        maxrss_kib, cpu, returncode = "0", "0", process.returncode
    child_maxrss = int(maxrss_kib) * 1024  # Linux reports KiB
    return Measurement(
        wall_seconds=wall,
        peak_rss_bytes=max(child_maxrss, sampler.peak),
        child_maxrss_bytes=child_maxrss,
        tree_peak_rss_bytes=sampler.peak,
        cpu_seconds=float(cpu),
        returncode=returncode,
        log_path=log_path,
    )
