"""Loading floe extension plugins and calling their hooks without letting one break floe.

pluggy validates each implementation's signature against :mod:`floe_core.hookspecs` at
registration; this module adds what floe needs on top: entry-point discovery that records
each plugin's distribution and survives a plugin that fails to import or validate, errors
that name the plugin, and per-plugin isolation when a notification hook raises.
"""

from __future__ import annotations

import importlib.metadata
import threading
from collections.abc import Mapping
from typing import Any

import pluggy
from pydantic import BaseModel, ConfigDict

from floe_core import hookspecs
from floe_core._errors import PluginError
from floe_core._events import FloeEvent
from floe_core._invocation import DBTCommand, DBTInvocation
from floe_core.logging._lazy_logger import lazy_logger
from floe_core.plugins._veto import RunVetoedError, Veto

__all__ = ["PLUGINS_ENTRY_POINT_GROUP", "FloePluginManager", "PluginFailure", "PluginInfo"]

PLUGINS_ENTRY_POINT_GROUP = "floe.plugins"

_log = lazy_logger("floe.plugins")


class PluginInfo(BaseModel):
    """A loaded extension plugin, as ``floe plugins list`` shows it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    distribution: str | None = None
    version: str | None = None
    hooks: tuple[str, ...] = ()


class PluginFailure(BaseModel):
    """An extension plugin that could not be loaded, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    distribution: str | None = None
    version: str | None = None
    error: str


def _describe(name: str, distribution: str | None) -> str:
    return f"floe plugin {name!r}" + (f" (from {distribution})" if distribution else "")


class FloePluginManager:
    """The registered extension plugins and isolated calls of their hooks.

    >>> plugins = FloePluginManager.from_entry_points()
    >>> plugins.check_run_allowed(invocation, DBTCommand.BUILD)   # may raise RunVetoedError
    """

    def __init__(self) -> None:
        self._pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
        self._pm.add_hookspecs(hookspecs)
        self._infos: dict[str, PluginInfo] = {}
        self._failures: list[PluginFailure] = []
        self._lock = threading.Lock()
        self._reported: set[tuple[str, str]] = set()

    @classmethod
    def from_entry_points(cls, group: str = PLUGINS_ENTRY_POINT_GROUP) -> FloePluginManager:
        manager = cls()
        manager.load_entry_points(group)
        return manager

    # -- loading ---------------------------------------------------------------------------
    def load_entry_points(self, group: str = PLUGINS_ENTRY_POINT_GROUP) -> None:
        """Register every plugin of ``group``; one that fails is logged and recorded."""
        for entry_point in importlib.metadata.entry_points(group=group):
            dist = entry_point.dist
            distribution = dist.metadata["Name"] if dist is not None else None
            version = dist.version if dist is not None else None
            try:
                plugin = entry_point.load()
                self.register(plugin, entry_point.name, distribution=distribution, version=version)
            except Exception as exc:
                error = str(exc) if isinstance(exc, PluginError) else f"{type(exc).__name__}: {exc}"
                self._failures.append(
                    PluginFailure(
                        name=entry_point.name,
                        distribution=distribution,
                        version=version,
                        error=error,
                    )
                )
                _log.warning(
                    "floe plugin could not be loaded; floe continues without it",
                    plugin=entry_point.name,
                    distribution=distribution,
                    entry_point=entry_point.value,
                    error=error,
                )

    def register(
        self,
        plugin: object,
        name: str,
        *,
        distribution: str | None = None,
        version: str | None = None,
    ) -> None:
        """Register ``plugin``; raise :class:`PluginError` if its hooks do not fit the specs."""
        who = _describe(name, distribution)
        try:
            self._pm.register(plugin, name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(
                f"{who} has an invalid hook implementation: {exc}",
                hint="hook arguments must be a subset of those in floe_core.hookspecs",
            ) from exc
        except ValueError as exc:
            raise PluginError(f"{who} is registered twice: {exc}") from exc
        callers = self._pm.get_hookcallers(plugin) or []
        unknown = sorted(caller.name for caller in callers if not caller.has_spec())
        wrappers = sorted(
            caller.name
            for caller in callers
            for impl in caller.get_hookimpls()
            if impl.plugin is plugin and (impl.wrapper or impl.hookwrapper)
        )
        if unknown or wrappers:
            self._pm.unregister(plugin)
            known = ", ".join(sorted(n for n in hookspecs.__all__ if n.startswith("floe_")))
            problem = (
                f"unknown hook(s) {', '.join(unknown)}"
                if unknown
                else f"wrapper implementation(s) of {', '.join(wrappers)}"
            )
            raise PluginError(
                f"{who} declares {problem}",
                hint=f"floe hooks are plain calls named one of: {known}",
            )
        self._infos[name] = PluginInfo(
            name=name,
            distribution=distribution,
            version=version,
            hooks=tuple(sorted(caller.name for caller in callers)),
        )

    @property
    def plugins(self) -> tuple[PluginInfo, ...]:
        return tuple(self._infos.values())

    @property
    def failures(self) -> tuple[PluginFailure, ...]:
        return tuple(self._failures)

    # -- calling ---------------------------------------------------------------------------
    def _implementations(self, hook_name: str) -> list[pluggy.HookImpl]:
        # pluggy's call order: last registered first, tryfirst/trylast honoured.
        caller: pluggy.HookCaller = getattr(self._pm.hook, hook_name)
        return list(reversed(caller.get_hookimpls()))

    def _who(self, plugin_name: str) -> str:
        info = self._infos.get(plugin_name)
        return _describe(plugin_name, info.distribution if info else None)

    def notify(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call ``hook_name`` on every plugin; a plugin that raises is logged and skipped.

        Returns ``(plugin name, value)`` for every implementation that returned a value.
        """
        values: list[tuple[str, Any]] = []
        for impl in self._implementations(hook_name):
            try:
                value = impl.function(*(kwargs[arg] for arg in impl.argnames))
            except Exception:
                self._report_failure(impl.plugin_name, hook_name)
                continue
            if value is not None:
                values.append((impl.plugin_name, value))
        return values

    def _report_failure(self, plugin_name: str, hook_name: str) -> None:
        with self._lock:
            first = (plugin_name, hook_name) not in self._reported
            self._reported.add((plugin_name, hook_name))
        info = self._infos.get(plugin_name)
        log = _log.warning if first else _log.debug
        log(
            "floe plugin hook failed; floe continues"
            + ("" if not first else " (repeats are logged at debug level)"),
            plugin=plugin_name,
            distribution=info.distribution if info else None,
            hook=hook_name,
            exc_info=True,
        )

    def check_run_allowed(self, invocation: DBTInvocation, command: DBTCommand) -> None:
        """Ask every ``floe_check_run`` policy; raise :class:`RunVetoedError` on a veto.

        A policy that raises or returns something other than a :class:`Veto` or ``None``
        raises :class:`PluginError`: a policy that cannot be evaluated does not allow a run.
        """
        for impl in self._implementations("floe_check_run"):
            arguments = {"invocation": invocation, "command": command}
            try:
                verdict = impl.function(*(arguments[arg] for arg in impl.argnames))
            except Exception as exc:
                raise PluginError(
                    f"{self._who(impl.plugin_name)} failed to evaluate its run policy: "
                    f"{type(exc).__name__}: {exc}",
                    hint="fix or uninstall the plugin; floe does not run unchecked",
                ) from exc
            if isinstance(verdict, Veto):
                info = self._infos.get(impl.plugin_name)
                raise RunVetoedError(
                    impl.plugin_name,
                    verdict.reason,
                    distribution=info.distribution if info else None,
                )
            if verdict is not None:
                raise PluginError(
                    f"{self._who(impl.plugin_name)}: floe_check_run returned {verdict!r}",
                    hint="return floe_core.Veto(reason) to refuse the run, or None to allow it",
                )

    def lineage_run_facets(self, event: FloeEvent) -> dict[str, Any]:
        """Extra OpenLineage run facets for ``event``, merged across plugins (first wins)."""
        facets: dict[str, Any] = {}
        for plugin_name, value in self.notify("floe_lineage_run_facets", event=event):
            if not isinstance(value, Mapping):
                _log.warning(
                    "floe plugin returned non-mapping lineage facets; ignored",
                    plugin=plugin_name,
                    returned=type(value).__name__,
                )
                continue
            for facet_name, facet in value.items():
                facets.setdefault(str(facet_name), facet)
        return facets
