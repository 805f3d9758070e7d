"""Parsed dbt manifests kept in memory, keyed by a fingerprint of everything parsing reads.

Parsing is the largest fixed cost of a dbt invocation (seconds for a big project). An
unchanged project is parsed once per process; the parsed ``Manifest`` is handed to
``dbtRunner(manifest=...)``. The fingerprint covers the project's files (path, size, mtime),
the profile file, profile and target names, ``--vars`` and the dbt version; env vars the
project read while parsing are checked on every hit.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import yaml
from dbt.constants import DEFAULT_ENV_PLACEHOLDER

from floe_core.profiles import PROFILES_FILENAME, MaterializedProfile

# The installed distribution's version: dbt.version would cost ~0.25 s of imports (semver,
# exceptions) on the plan-cache path, which needs only the string.
dbt_version = version("dbt-core")

__all__ = [
    "CachedManifest",
    "ManifestCache",
    "dbt_version",
    "env_vars_unchanged",
    "manifest_fingerprint",
]

_PROJECT_FILES = (
    "dbt_project.yml",
    "packages.yml",
    "dependencies.yml",
    "package-lock.yml",
    "selectors.yml",
)
_PATH_KEYS = {
    "model-paths": ["models"],
    "seed-paths": ["seeds"],
    "snapshot-paths": ["snapshots"],
    "test-paths": ["tests"],
    "macro-paths": ["macros"],
    "analysis-paths": ["analyses"],
    "docs-paths": [],
    "function-paths": ["functions"],
}


def manifest_fingerprint(
    project_dir: Path,
    profile: MaterializedProfile,
    target: str | None,
    dbt_vars: dict[str, Any],
) -> str:
    """A digest that changes whenever a new parse could give a different manifest."""
    digest = hashlib.blake2b(digest_size=20)
    header = {
        "dbt": dbt_version,
        "project": str(project_dir.resolve()),
        "profile": profile.profile_name,
        "target": target or profile.target,
        "vars": dbt_vars,
    }
    digest.update(json.dumps(header, sort_keys=True, default=str).encode())
    files = [profile.profiles_dir / PROFILES_FILENAME]
    files += [project_dir / name for name in _PROJECT_FILES]
    for path in (*files, *_source_files(project_dir)):
        try:
            stat = path.stat()
        except FileNotFoundError:
            digest.update(f"{path}:-\n".encode())
            continue
        digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def _source_files(project_dir: Path) -> Iterator[Path]:
    try:
        config = yaml.safe_load((project_dir / "dbt_project.yml").read_text("utf-8")) or {}
    except (OSError, yaml.YAMLError):
        config = {}  # dbt itself reports the broken file; the digest still covers its stat
    folders: set[str] = set()
    for key, default in _PATH_KEYS.items():
        value = config.get(key, default) if isinstance(config, dict) else default
        folders.update(v for v in (value if isinstance(value, list) else [value]) if v)
    install_path = config.get("packages-install-path") if isinstance(config, dict) else None
    folders.add(str(install_path or "dbt_packages"))
    for folder in sorted(folders):
        yield from _walk(project_dir / folder)


def _walk(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


@dataclass
class CachedManifest:
    """One parsed manifest and what was derived from it."""

    key: str
    manifest: Any
    """A ``dbt.contracts.graph.manifest.Manifest``."""
    selections: dict[tuple[Any, ...], tuple[str, ...]] = field(default_factory=dict)
    """Selected unique ids per (command, select, exclude, selector): ``dbt ls`` done once."""
    written_to: dict[Path, tuple[int, int]] = field(default_factory=dict)
    """manifest.json files known to hold this manifest, with their (size, mtime_ns)."""

    def env_unchanged(self) -> bool:
        """Whether every env var the project read while parsing still has the same value."""
        return env_vars_unchanged(getattr(self.manifest, "env_vars", {}) or {})


def env_vars_unchanged(seen: dict[str, str]) -> bool:
    """Whether each env var a parse read (dbt's ``manifest.env_vars``) still has its value."""
    for name, value in seen.items():
        current = os.environ.get(name)
        if value == DEFAULT_ENV_PLACEHOLDER:
            if current is not None:
                return False
        elif current != value:
            return False
    return True


class ManifestCache:
    """A small LRU of :class:`CachedManifest`, safe to share between threads."""

    def __init__(self, max_entries: int) -> None:
        self._max_entries = max_entries
        self._entries: OrderedDict[str, CachedManifest] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: str) -> CachedManifest | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and not entry.env_unchanged():
                del self._entries[key]
                entry = None
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return entry

    def put(self, key: str, manifest: Any) -> CachedManifest:
        entry = CachedManifest(key=key, manifest=manifest)
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
