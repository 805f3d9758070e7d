"""The options every dbt command takes, and how they become a :class:`DBTInvocation`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, TypedDict

from floe_core._errors import ConfigError
from floe_core._invocation import CommandArgs, DBTInvocation, GeneratedProfile, ProfileSource
from floe_core.manifest import PlatformManifest

__all__ = ["InvocationOptions", "build_invocation", "choose_runtime"]


class InvocationOptions(TypedDict, total=False):
    """Keyword options of :meth:`Floe.build` and friends (and of ``floe build``)."""

    select: Iterable[str]
    """dbt selection syntax; a value may hold several space-separated selectors, as in dbt."""
    exclude: Iterable[str]
    selector: str | None
    """A named selector from the project's selectors.yml."""
    vars: Mapping[str, Any] | None
    """Merged over the manifest's ``project.vars``."""
    target: str | None
    threads: int | None
    full_refresh: bool
    fail_fast: bool
    inline: str | None
    """``compile``/``show``: SQL instead of the selected nodes."""
    limit: int | None
    """``show``: rows to preview."""
    macro: str | None
    """``run-operation``: the macro to run."""
    macro_args: Mapping[str, Any] | None
    """``run-operation``: the macro's arguments."""
    resource_types: Iterable[str]
    """``ls``: only these resource types."""
    output: str | None
    """``ls``: ``name``, ``path``, ``json`` or ``selector``."""
    output_keys: Iterable[str]
    """``ls --output json``: only these keys."""
    state: str | Path | None
    """dbt's ``--state``: a folder, a stored run id, ``latest`` or ``latest:TARGET``."""
    defer: bool
    """Resolve unselected parents to the state's relations (needs ``state``)."""
    favor_state: bool
    """With ``defer``: the state's relations even where this target has them."""


_COMMAND_ARGS = (
    "inline",
    "limit",
    "macro",
    "macro_args",
    "resource_types",
    "output",
    "output_keys",
)


def choose_runtime(
    manifest: PlatformManifest, runtime: str | None, runtime_config: dict[str, Any] | None
) -> tuple[str, dict[str, Any]]:
    """The runtime name and config to use: the manifest's unless overridden.

    An overriding runtime starts from an empty config, not from another runtime's.
    """
    plugin = manifest.plugins.dbt_runtime
    name = runtime or plugin.type
    if runtime_config is not None:
        return name, runtime_config
    return name, plugin.config if name == plugin.type else {}


def _split_selectors(values: Iterable[str]) -> tuple[str, ...]:
    """``["a b", "c"]`` -> ``("a", "b", "c")``: dbt splits each value on spaces."""
    return tuple(part for value in values for part in value.split())


def _check_target(profile: ProfileSource, target: str | None) -> None:
    if target is None or not isinstance(profile, GeneratedProfile) or target in profile.outputs:
        return
    raise ConfigError(
        f"target {target!r} does not exist: the profile floe generates from 'compute' has"
        f" only {', '.join(sorted(profile.outputs))}",
        hint=f"use one of them, or add it under compute.targets: {{{target}: {{type: ...,"
        " config: {...}}}",
    )


def build_invocation(
    manifest: PlatformManifest,
    project_dir: Path,
    profile: ProfileSource,
    options: InvocationOptions,
    project_version: str = "",
) -> DBTInvocation:
    """The invocation for ``options``, with the manifest's project defaults under them."""
    given: dict[str, Any] = dict(options)
    target = options.get("target") or manifest.project.target
    _check_target(profile, target)
    return DBTInvocation(
        project_dir=project_dir,
        project_version=project_version,
        profile=profile,
        target=target,
        select=_split_selectors(options.get("select", ())),
        exclude=_split_selectors(options.get("exclude", ())),
        selector=options.get("selector"),
        vars={**manifest.project.vars, **(options.get("vars") or {})},
        full_refresh=options.get("full_refresh", False),
        threads=options.get("threads"),
        fail_fast=options.get("fail_fast", False),
        command_args=CommandArgs.model_validate(
            {key: given[key] for key in _COMMAND_ARGS if given.get(key) is not None}
        ),
    )
