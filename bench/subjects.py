"""What the runner times: a registry of named subjects.

A subject is one command of one tool in one configuration, e.g. ``dbt-build`` (the dbt CLI)
or ``floe-build[local]`` (the floe CLI with the local runtime). Each floe subject names the dbt
subject it is compared with (its *baseline*): ``plan`` against ``parse`` with the same cache
state, ``run`` against ``run``, ``build`` against ``build``.

Runtimes add their variants with :func:`register` (usually via :func:`floe_subjects`), e.g. a
Temporal runtime with 2 workers::

    register(*floe_subjects("temporal-2w", plugin=lambda ws: {"type": "temporal", ...},
                            services=("temporal",)))

``services`` name the long-lived servers a subject needs (see :mod:`bench.services`); the
runner starts each once per session and passes what they return in ``Workspace.services``.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from bench.warehouses import Warehouse

__all__ = [
    "SUBJECTS",
    "Action",
    "Cache",
    "Subject",
    "Tool",
    "Workspace",
    "dbt_subjects",
    "floe_subjects",
    "register",
]

_BIN = Path(sys.executable).parent


class Tool(StrEnum):
    DBT = "dbt"
    FLOE = "floe"


class Action(StrEnum):
    PARSE = "parse"
    PLAN = "plan"
    RUN = "run"
    BUILD = "build"

    @property
    def touches_warehouse(self) -> bool:
        return self in (Action.RUN, Action.BUILD)


class Cache(StrEnum):
    """State of the parse caches when a repetition starts."""

    COLD = "cold"
    """No ``target/`` (no ``partial_parse.msgpack``, no manifest) and no floe cache."""
    WARM = "warm"
    """After a prior untimed parse (``dbt parse`` / ``floe plan``) of the same project."""


@dataclass(frozen=True)
class Workspace:
    """One subject's private copy of the project, its config files and its warehouse."""

    root: Path
    warehouse: Warehouse
    threads: int
    services: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def project_dir(self) -> Path:
        return self.root / "project"

    @property
    def profiles_dir(self) -> Path:
        return self.root / "profiles"

    @property
    def manifest_path(self) -> Path:
        return self.root / "platform-manifest.yaml"

    @property
    def artifacts_dir(self) -> Path:
        return self.root / "artifacts"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    def clear_caches(self) -> None:
        for cache in (self.project_dir / "target", self.project_dir / ".floe", self.artifacts_dir):
            shutil.rmtree(cache, ignore_errors=True)


Argv = Callable[[Workspace], list[str]]


@dataclass(frozen=True)
class Subject:
    """One timed command. ``configure`` writes its config files into the workspace once."""

    name: str
    tool: Tool
    action: Action
    runtime: str
    cache: Cache
    argv: Argv
    configure: Callable[[Workspace], None]
    prime_argv: Argv
    """Untimed command that warms the caches (run once before the repetitions)."""
    services: tuple[str, ...] = ()
    warehouses: frozenset[str] = frozenset({"duckdb", "postgres"})
    observe: Callable[[Workspace], dict[str, float]] | None = None
    """Extra figures read after each repetition (e.g. a server's own execution time)."""

    @property
    def baseline(self) -> str | None:
        """Name of the dbt subject this one is compared with (``None`` for dbt subjects)."""
        if self.tool is Tool.DBT:
            return None
        action = Action.PARSE if self.action is Action.PLAN else self.action
        return _dbt_name(action, self.cache)

    @property
    def slug(self) -> str:
        return "".join(ch if ch.isalnum() else "-" for ch in self.name).strip("-")

    def before_repetition(self, workspace: Workspace) -> None:
        """Bring the workspace to this subject's starting state."""
        if self.cache is Cache.COLD:
            workspace.clear_caches()
        if self.action.touches_warehouse:
            workspace.warehouse.reset(workspace.root)


SUBJECTS: dict[str, Subject] = {}
"""Every known subject by name, in registration order."""


def register(*subjects: Subject) -> None:
    for subject in subjects:
        if subject.name in SUBJECTS:
            raise ValueError(f"bench subject {subject.name!r} is already registered")
        SUBJECTS[subject.name] = subject


# -- the dbt CLI -------------------------------------------------------------------------------


def _dbt_name(action: Action, cache: Cache) -> str:
    return f"dbt-{action}[{cache}]" if action is Action.PARSE else f"dbt-{action}"


def _dbt_argv(action: Action) -> Argv:
    def argv(ws: Workspace) -> list[str]:
        command = [str(_BIN / "dbt"), str(action), "--project-dir", str(ws.project_dir)]
        command += ["--profiles-dir", str(ws.profiles_dir)]
        if action.touches_warehouse:
            command += ["--threads", str(ws.threads)]
        return command

    return argv


def _write_profiles(ws: Workspace) -> None:
    ws.profiles_dir.mkdir(parents=True, exist_ok=True)
    profile = {
        "floe": {"target": "dev", "outputs": {"dev": ws.warehouse.dbt_output(ws.root, ws.threads)}}
    }
    (ws.profiles_dir / "profiles.yml").write_text(yaml.safe_dump(profile), encoding="utf-8")


def dbt_subjects() -> list[Subject]:
    """The dbt CLI baselines: parse (cold and warm), ``run --threads N`` and ``build``."""
    parse = [(Action.PARSE, Cache.COLD), (Action.PARSE, Cache.WARM)]
    actions = [*parse, (Action.RUN, Cache.WARM), (Action.BUILD, Cache.WARM)]
    return [
        Subject(
            name=_dbt_name(action, cache),
            tool=Tool.DBT,
            action=action,
            runtime="dbt-cli",
            cache=cache,
            argv=_dbt_argv(action),
            configure=_write_profiles,
            prime_argv=_dbt_argv(Action.PARSE),
        )
        for action, cache in actions
    ]


# -- the floe CLI ------------------------------------------------------------------------------


def _floe_argv(action: Action) -> Argv:
    def argv(ws: Workspace) -> list[str]:
        command = [str(_BIN / "floe"), str(action), "--manifest", str(ws.manifest_path)]
        command += ["--project-dir", str(ws.project_dir)]
        if action.touches_warehouse:
            command += ["--threads", str(ws.threads)]
        return command

    return argv


def _manifest_writer(plugin: Callable[[Workspace], dict[str, Any]]) -> Callable[[Workspace], None]:
    def configure(ws: Workspace) -> None:
        manifest = {
            "apiVersion": "floe.dev/v1",
            "kind": "PlatformManifest",
            "project": {"dir": str(ws.project_dir)},
            "plugins": {"dbt_runtime": plugin(ws)},
            "compute": ws.warehouse.floe_compute(ws.root, ws.threads),
            "artifacts": {"type": "local", "path": str(ws.artifacts_dir)},
        }
        ws.manifest_path.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")

    return configure


def floe_subjects(
    runtime: str,
    *,
    plugin: Callable[[Workspace], dict[str, Any]],
    services: Iterable[str] = (),
    warehouses: Iterable[str] = ("duckdb", "postgres"),
    actions: Iterable[Action] = (Action.PLAN, Action.RUN, Action.BUILD),
    prime: Action = Action.PLAN,
    observe: Callable[[Workspace], dict[str, float]] | None = None,
) -> list[Subject]:
    """floe ``plan`` (cold and warm), ``run`` and ``build`` with one runtime configuration.

    ``plugin`` returns the ``plugins.dbt_runtime`` section of the manifest for a workspace
    (it may also prepare the services for that workspace); ``prime`` is the untimed command
    run once before the repetitions.
    """
    subjects = []
    for action in actions:
        caches = (Cache.COLD, Cache.WARM) if action is Action.PLAN else (Cache.WARM,)
        for cache in caches:
            suffix = f"{runtime},{cache}" if action is Action.PLAN else runtime
            subjects.append(
                Subject(
                    name=f"floe-{action}[{suffix}]",
                    tool=Tool.FLOE,
                    action=action,
                    runtime=runtime,
                    cache=cache,
                    argv=_floe_argv(action),
                    configure=_manifest_writer(plugin),
                    prime_argv=_floe_argv(prime),
                    services=tuple(services),
                    warehouses=frozenset(warehouses),
                    observe=observe,
                )
            )
    return subjects


register(*dbt_subjects())
register(*floe_subjects("local", plugin=lambda ws: {"type": "local", "config": {}}))
# issue 20: the local runtime's nodes on two executor processes (a server warehouse only);
# primed with an untimed `run`, which also leaves each process a warm partial parse.
register(
    *floe_subjects(
        "local,processes=2",
        plugin=lambda ws: {"type": "local", "config": {"processes": 2}},
        warehouses=("postgres",),
        actions=(Action.RUN, Action.BUILD),
        prime=Action.RUN,
    )
)
