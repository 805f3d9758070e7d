"""The CPU and memory a container may use, from its cgroup (v2, else v1), for the tuner.

Temporal's resource-based tuner already measures memory against a cgroup's limit, but it
measures CPU against the whole host: in a container limited to 2 of a host's 16 cores,
"90 % CPU" would never be reached. :func:`host_cpu_target` turns a target fraction of the
*container's* CPU into the fraction of the host the tuner compares with.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["CGROUP_ROOT", "CgroupLimits", "host_cpu_target", "read_cgroup_limits"]

CGROUP_ROOT = Path("/sys/fs/cgroup")
_UNLIMITED_V1 = 1 << 60
"""cgroup v1 writes 'no memory limit' as a page-rounded 2**63 - 1."""


@dataclass(frozen=True)
class CgroupLimits:
    """``None``: no limit (or no cgroup files readable)."""

    cpu_cores: float | None
    memory_bytes: int | None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None


def _cpu_v2(root: Path) -> float | None:
    text = _read(root / "cpu.max")  # "max 100000" or "200000 100000"
    if not text:
        return None
    quota, _, period = text.partition(" ")
    if quota == "max" or not quota.isdigit() or not period.isdigit() or int(period) == 0:
        return None
    return int(quota) / int(period)


def _cpu_v1(root: Path) -> float | None:
    for folder in ("cpu", "cpu,cpuacct", "cpuacct,cpu"):
        quota = _read(root / folder / "cpu.cfs_quota_us")
        period = _read(root / folder / "cpu.cfs_period_us")
        if quota is None or period is None:
            continue
        if quota.lstrip("-").isdigit() and period.isdigit() and int(quota) > 0 < int(period):
            return int(quota) / int(period)
        return None
    return None


def _memory(root: Path) -> int | None:
    for path in (root / "memory.max", root / "memory" / "memory.limit_in_bytes"):
        text = _read(path)
        if text is None:
            continue
        return int(text) if text.isdigit() and int(text) < _UNLIMITED_V1 else None
    return None


def read_cgroup_limits(root: Path = CGROUP_ROOT) -> CgroupLimits:
    """The limits of the cgroup mounted at ``root`` (a container sees its own there)."""
    return CgroupLimits(cpu_cores=_cpu_v2(root) or _cpu_v1(root), memory_bytes=_memory(root))


def host_cpu_target(target: float, limits: CgroupLimits, host_cores: int | None = None) -> float:
    """``target`` (a fraction of the container's CPU) as a fraction of the host's CPU."""
    cores = host_cores or os.cpu_count() or 1
    if limits.cpu_cores is None or limits.cpu_cores >= cores:
        return target
    return max(0.01, min(1.0, target * limits.cpu_cores / cores))
