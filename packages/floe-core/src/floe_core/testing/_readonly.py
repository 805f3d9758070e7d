"""A folder nobody can write, not even root: a real read-only results store for tests."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["read_only_folder"]


@contextmanager
def read_only_folder(path: Path) -> Iterator[Path]:
    """``path`` (created if missing) made read-only for the block, then writable again.

    Permission bits do not stop root, so as root the folder is also made immutable with
    ``chattr +i`` (ext4, xfs, btrfs): creating, renaming or removing an entry then fails with
    EPERM for every user.
    """
    path.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode)
    path.chmod(0o555)
    immutable = os.geteuid() == 0
    if immutable:
        chattr = shutil.which("chattr")
        if chattr is None:
            path.chmod(mode)
            raise RuntimeError(
                "running as root and chattr is missing: cannot make a folder read-only"
            )
        subprocess.run([chattr, "+i", str(path)], check=True, capture_output=True)
    try:
        yield path
    finally:
        if immutable:
            subprocess.run([shutil.which("chattr") or "chattr", "-i", str(path)], check=True)
        path.chmod(mode)
