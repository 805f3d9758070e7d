from __future__ import annotations

import sys
from pathlib import Path

from bench.measure import measure

_MIB = 2**20
_HOLD = "import time; block = bytearray({mib} * 2**20); time.sleep({seconds})"


def test_peak_rss_sums_the_process_tree(tmp_path: Path) -> None:
    # Two children of 150 MiB each live at the same time: the tree peaks near 300 MiB while no
    # single process exceeds ~160 MiB.
    child = _HOLD.format(mib=150, seconds=1.5)
    parent = (
        "import subprocess, sys\n"
        f"procs = [subprocess.Popen([sys.executable, '-c', {child!r}]) for _ in range(2)]\n"
        "[p.wait() for p in procs]\n"
    )
    result = measure(
        [sys.executable, "-c", parent],
        cwd=tmp_path,
        log_path=tmp_path / "log",
        sample_interval=0.05,
    )

    assert result.ok
    assert 150 * _MIB < result.child_maxrss_bytes < 250 * _MIB
    assert result.tree_peak_rss_bytes > 290 * _MIB
    assert result.peak_rss_bytes == result.tree_peak_rss_bytes
    assert 1.5 < result.wall_seconds < 30


def test_single_process_peak_comes_from_the_kernel_high_water_mark(tmp_path: Path) -> None:
    # Allocate then free before the sampler can see it: only ru_maxrss catches the peak.
    code = "block = bytearray(200 * 2**20); del block; import time; time.sleep(0.3)"
    result = measure(
        [sys.executable, "-c", code], cwd=tmp_path, log_path=tmp_path / "log", sample_interval=5
    )

    assert result.peak_rss_bytes >= 200 * _MIB
    assert result.cpu_seconds > 0


def test_failure_and_timeout_are_reported_with_the_log(tmp_path: Path) -> None:
    failed = measure(
        [sys.executable, "-c", "print('boom'); raise SystemExit(3)"],
        cwd=tmp_path,
        log_path=tmp_path / "failed.log",
    )
    timed_out = measure(
        [sys.executable, "-c", "import time; time.sleep(60)"],
        cwd=tmp_path,
        log_path=tmp_path / "slow.log",
        timeout=0.5,
        sample_interval=0.1,
    )

    assert (failed.ok, failed.returncode) == (False, 3)
    assert failed.log_path.read_text() == "boom\n"
    assert timed_out.returncode == -9
    assert timed_out.wall_seconds < 10


def test_a_large_benchmark_process_does_not_inflate_the_commands_peak(tmp_path: Path) -> None:
    # Linux carries ru_maxrss across execve: without the trampoline a tiny command spawned from
    # this process (holding 300 MiB) would report >= 300 MiB.
    held = bytearray(300 * _MIB)
    result = measure([sys.executable, "-c", "pass"], cwd=tmp_path, log_path=tmp_path / "log")

    assert len(held) == 300 * _MIB
    assert result.ok
    assert result.peak_rss_bytes < 100 * _MIB
