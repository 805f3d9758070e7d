"""What a runtime is asked to do: one typed, serialisable dbt invocation."""

from __future__ import annotations

import json
import uuid
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from floe_core._detach import RunHandle

__all__ = [
    "NODE_COMMANDS",
    "CommandArgs",
    "DBTCommand",
    "DBTInvocation",
    "GeneratedProfile",
    "ProfileSource",
    "ProfilesDirProfile",
    "StateReference",
]


class DBTCommand(StrEnum):
    """The dbt commands a runtime may execute; the value is dbt's own command line
    (``source freshness`` and ``docs generate`` are two words, as in dbt)."""

    COMPILE = "compile"
    RUN = "run"
    BUILD = "build"
    TEST = "test"
    SEED = "seed"
    SNAPSHOT = "snapshot"
    DEPS = "deps"
    PARSE = "parse"
    LIST = "ls"
    SHOW = "show"
    RUN_OPERATION = "run-operation"
    SOURCE_FRESHNESS = "source freshness"
    DOCS_GENERATE = "docs generate"
    DEBUG = "debug"
    CLEAN = "clean"
    RETRY = "retry"


NODE_COMMANDS = frozenset(
    {
        DBTCommand.COMPILE,
        DBTCommand.RUN,
        DBTCommand.BUILD,
        DBTCommand.TEST,
        DBTCommand.SEED,
        DBTCommand.SNAPSHOT,
    }
)
"""The commands that execute the selected nodes; every runtime supports at least these."""
_DEFAULT_SHOW_LIMIT = 5  # dbt show's own default


class CommandArgs(BaseModel):
    """Inputs that only some commands take (dbt's options of the same names)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    inline: str | None = None
    """``compile``/``show``: SQL to compile or preview instead of the selected nodes."""
    limit: int | None = None
    """``show``: rows to preview (dbt's default 5; negative: all)."""
    macro: str | None = None
    """``run-operation``: the macro to run."""
    macro_args: dict[str, Any] = Field(default_factory=dict)
    """``run-operation``: the macro's keyword arguments (``--args``)."""
    resource_types: tuple[str, ...] = ()
    """``ls``: only these resource types (``model``, ``source``...)."""
    output: Literal["name", "path", "json", "selector"] | None = None
    """``ls``: what to print per node (dbt's ``--output``; default ``selector``)."""
    output_keys: tuple[str, ...] = ()
    """``ls --output json``: only these keys."""
    state_dir: Path | None = None
    """``retry``: the folder holding the previous run's run_results.json."""
    retried_handle: RunHandle | None = None
    """``retry``: where the retried run ran (its runtime's handle, e.g. the dbt Cloud run),
    for a runtime that retries the run in place rather than from ``state_dir``."""

    def dbt_options(self, command: DBTCommand) -> list[str]:
        """``command``'s own dbt CLI options from these inputs (selection, vars and the
        other shared options are the runtime's)."""
        options: list[str] = []
        if command is DBTCommand.RUN_OPERATION:
            options += [
                self.macro or "",
                "--args",
                json.dumps(self.macro_args, sort_keys=True, default=str),
            ]
        if command in (DBTCommand.COMPILE, DBTCommand.SHOW) and self.inline is not None:
            options += ["--inline", self.inline]
        if command is DBTCommand.SHOW:
            options += [
                "--limit",
                str(self.limit if self.limit is not None else _DEFAULT_SHOW_LIMIT),
            ]
        if command is DBTCommand.LIST:
            for resource_type in self.resource_types:
                options += ["--resource-type", resource_type]
            if self.output is not None:
                options += ["--output", self.output]
            if self.output_keys:
                options += ["--output-keys", *self.output_keys]
        return options


class GeneratedProfile(BaseModel):
    """A dbt profile floe generates from the manifest's ``compute`` section.

    ``outputs`` holds dbt ``outputs`` entries; secrets stay as dbt ``env_var()`` templates, so
    a profile can cross process boundaries (and Temporal history) without carrying a secret.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["generated"] = "generated"
    profile_name: str = "floe"
    target: str = "dev"
    outputs: dict[str, dict[str, Any]]


class ProfilesDirProfile(BaseModel):
    """An existing profiles.yml the user points at."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["profiles_dir"] = "profiles_dir"
    profiles_dir: Path
    profile_name: str | None = None


ProfileSource = Annotated[GeneratedProfile | ProfilesDirProfile, Field(discriminator="kind")]


class StateReference(BaseModel):
    """The state a run compares against (dbt's ``--state``): a previous run's manifest.json,
    run_results.json and sources.json, for ``state:``/``result:``/``source_status:``
    selectors and ``--defer``.

    ``ref`` is what the user gave (a folder, a stored run id, ``latest`` or
    ``latest:TARGET``); ``run_id`` and ``project`` name the results-store run it resolved to,
    so a remote worker fetches the same files from the store; ``path`` is the local folder
    holding them on the machine that resolved it (never shipped to another machine's dbt).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    ref: str
    project: str | None = None
    run_id: str | None = None
    """The stored run the state is (``None``: a folder the user named)."""
    path: Path | None = None
    defer: bool = False
    """Resolve unselected parents to the state's relations (dbt ``--defer``)."""
    favor_state: bool = False
    """With ``defer``: use the state's relations even where this target has them."""


def _new_invocation_id() -> str:
    return str(uuid.uuid4())


class DBTInvocation(BaseModel):
    """One dbt invocation, independent of where it runs.

    Plain data only (no secrets, no open handles), so remote runtimes can ship it as is.
    ``trace_context`` carries the W3C ``traceparent``/``tracestate`` of the invocation span so
    nodes executed in other processes join the same trace.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    project_dir: Path
    project_version: str = ""
    """The version of the manifest's ``project.source`` ``project_dir`` holds (for git, the
    commit): remote workers serving that source run exactly this version. "" for a folder."""
    profile: ProfileSource
    target: str | None = None
    select: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    selector: str | None = None
    vars: dict[str, Any] = Field(default_factory=dict)
    full_refresh: bool = False
    threads: int | None = Field(default=None, ge=1)
    fail_fast: bool = False
    invocation_id: str = Field(default_factory=_new_invocation_id)
    target_path: Path | None = None
    """Where dbt writes manifest.json and run_results.json; default ``<project>/target``."""
    trace_context: dict[str, str] = Field(default_factory=dict)
    command_args: CommandArgs = Field(default_factory=CommandArgs)
    state: StateReference | None = None
    """``--state`` (and ``--defer``): what ``state:`` selectors compare against."""
    retry_of: str | None = None
    """``retry``: the invocation id of the stored run this one re-runs the failures of."""

    @property
    def effective_target(self) -> str | None:
        """The target dbt runs against: ``target``, else a generated profile's own."""
        if self.target is not None:
            return self.target
        return self.profile.target if isinstance(self.profile, GeneratedProfile) else None

    @property
    def artifacts_dir(self) -> Path:
        return self.target_path if self.target_path is not None else self.project_dir / "target"
