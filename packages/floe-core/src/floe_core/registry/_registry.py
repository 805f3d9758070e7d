"""Installed runtimes: entry points in group ``floe.dbt_runtimes`` -> class -> typed config.

Like pluggy's ``load_setuptools_entrypoints`` and the OpenTelemetry SDK, listing reads only
package metadata; a runtime's module is imported when that one runtime is asked for.
"""

from __future__ import annotations

import importlib.metadata
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from floe_core._errors import (
    FloeError,
    PluginAPIVersionError,
    PluginConfigError,
    PluginError,
    PluginNotFoundError,
)

if TYPE_CHECKING:
    # The contract, pydantic and the manifest's models load when a runtime is loaded or
    # configured: listing the installed ones (`floe plugins list`) needs package metadata only.
    from pydantic import BaseModel, ValidationError

    from floe_core._events import EventBus
    from floe_core._invocation import DBTCommand
    from floe_core._runtime import DBTRuntimePlugin
    from floe_core.manifest import PlatformManifest

__all__ = [
    "CONFIG_FIELD",
    "ENTRY_POINT_GROUP",
    "KNOWN_RUNTIMES",
    "PluginRegistry",
    "RuntimeEntry",
    "check_api_version",
]

ENTRY_POINT_GROUP = "floe.dbt_runtimes"
KNOWN_RUNTIMES = {
    "local": "floe-dbt-local",
    "cloud": "floe-dbt-cloud",
    "temporal": "floe-dbt-temporal",
}
"""Runtimes floe ships, by name -> the distribution that provides them."""
CONFIG_FIELD = "plugins.dbt_runtime.config"

Locator = Callable[[str], str | None]
"""Dotted manifest field -> ``file:line`` (e.g. :meth:`PlatformManifest.locate`)."""


@dataclass(frozen=True)
class RuntimeEntry:
    """An installed runtime, as its package metadata declares it (nothing imported)."""

    name: str
    value: str
    """``module:Class`` the entry point names."""
    distribution: str | None
    version: str | None
    requires_floe_core: str | None = None
    """The distribution's requirement on floe-core (e.g. ``floe-core<0.2,>=0.1``), if any."""


class PluginRegistry:
    """The runtimes installed in this environment.

    ``entry_points`` replaces the installed ones (tests pass hand-made
    ``importlib.metadata.EntryPoint`` objects instead of installing packages).
    """

    def __init__(self, entry_points: Iterable[importlib.metadata.EntryPoint] | None = None):
        self._given = None if entry_points is None else tuple(entry_points)
        self._entry_points: dict[str, list[importlib.metadata.EntryPoint]] | None = None
        self._classes: dict[str, type[DBTRuntimePlugin[Any]]] = {}

    def available(self) -> list[RuntimeEntry]:
        """Every installed runtime, sorted by name, without importing any of them."""
        return [_entry(point) for name in sorted(self._points()) for point in self._points()[name]]

    def load_class(self, name: str) -> type[DBTRuntimePlugin[Any]]:
        """Import runtime ``name`` (and only it) and check it honours the plugin contract."""
        from floe_core._runtime import DBTRuntimePlugin

        if name in self._classes:
            return self._classes[name]
        point = self._point(name)
        entry = _entry(point)
        try:
            loaded = point.load()
        except Exception as exc:
            raise PluginError(
                f"runtime '{name}': importing entry point {entry.value}"
                f"{_from(entry)} failed: {type(exc).__name__}: {exc}",
                hint=f"reinstall {entry.distribution or 'the package providing it'}, or check"
                " that it matches this floe-core version",
            ) from exc
        if not (isinstance(loaded, type) and issubclass(loaded, DBTRuntimePlugin)):
            raise PluginError(
                f"runtime '{name}': entry point {entry.value}{_from(entry)} is not a"
                " DBTRuntimePlugin subclass",
                hint="the entry point must name a class deriving from floe_core.DBTRuntimePlugin",
            )
        check_api_version(name, loaded)
        self._classes[name] = loaded
        return loaded

    def supporting(self, command: DBTCommand) -> list[str]:
        """Names of the installed, loadable runtimes that declare ``command``, sorted."""
        return self.runtimes_where(lambda runtime: command in runtime.supported_commands)

    def runtimes_where(self, test: Callable[[type[DBTRuntimePlugin[Any]]], bool]) -> list[str]:
        """Names of the installed, loadable runtimes whose class passes ``test``, sorted."""
        names = []
        for name in sorted(self._points()):
            try:
                runtime = self.load_class(name)
            except FloeError:
                continue  # a broken runtime supports nothing
            if test(runtime):
                names.append(name)
        return names

    def validate_config(
        self,
        name: str,
        config: dict[str, Any],
        *,
        location: str | None = None,
        location_of: Locator | None = None,
        base_dir: Path | None = None,
        resolve_secrets: bool = True,
    ) -> BaseModel:
        """``config`` (``plugins.dbt_runtime.config``) as runtime ``name``'s typed config.

        ``${env:NAME}`` references are resolved first (:class:`SecretError` if unset).
        Errors name the field, the expected type and where it is: ``location_of(field)``
        when given, else ``location`` (e.g. the manifest file). ``base_dir`` (the manifest's
        folder) is the validation context's ``"base_dir"``: config models resolve relative
        paths against it, so they mean the same on every machine and in every process.
        The context's ``"locate"`` maps a config field (``"processes"``) to ``file:line``, for
        a runtime whose own later checks name where a setting was written.
        ``resolve_secrets=False`` keeps the references as written, for a process that passes
        the config on and resolves them where it uses them (a worker opening its store).
        """
        from pydantic import ValidationError

        from floe_core.manifest import resolve_secret_refs

        runtime = self.load_class(name)
        resolved = resolve_secret_refs(config, field=CONFIG_FIELD) if resolve_secrets else config
        try:
            context = {"base_dir": base_dir, "locate": _config_locator(location, location_of)}
            return runtime.config_model.model_validate(resolved, context=context)
        except ValidationError as exc:
            raise _config_error(
                name, runtime.config_model, resolved, exc, location, location_of
            ) from None

    def create(
        self,
        name: str,
        config: dict[str, Any],
        *,
        events: EventBus | None = None,
        location: str | None = None,
        location_of: Locator | None = None,
        base_dir: Path | None = None,
    ) -> DBTRuntimePlugin[Any]:
        """An instance of runtime ``name`` with its validated ``config``."""
        runtime = self.load_class(name)
        typed = self.validate_config(
            name, config, location=location, location_of=location_of, base_dir=base_dir
        )
        return runtime(typed, events=events)

    def create_from_manifest(
        self, manifest: PlatformManifest, *, events: EventBus | None = None
    ) -> DBTRuntimePlugin[Any]:
        """The runtime ``manifest`` selects, with errors located in the manifest file."""
        plugin = manifest.plugins.dbt_runtime
        try:
            return self.create(
                plugin.type,
                plugin.config,
                events=events,
                location_of=manifest.locate,
                base_dir=manifest.base_dir,
            )
        except PluginNotFoundError as exc:
            where = manifest.locate("plugins.dbt_runtime.type")
            if where is None:
                raise
            raise PluginNotFoundError(f"{where}: {exc.message}", hint=exc.hint) from exc

    # -- internals -----------------------------------------------------------------------
    def _points(self) -> dict[str, list[importlib.metadata.EntryPoint]]:
        if self._entry_points is None:
            points = (
                self._given
                if self._given is not None
                else importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
            )
            grouped: dict[str, list[importlib.metadata.EntryPoint]] = {}
            for point in points:
                if point.group == ENTRY_POINT_GROUP:
                    grouped.setdefault(point.name, []).append(point)
            self._entry_points = grouped
        return self._entry_points

    def _point(self, name: str) -> importlib.metadata.EntryPoint:
        points = self._points().get(name)
        if not points:
            raise _not_found(name, sorted(self._points()))
        if len({point.value for point in points}) > 1:
            providers = ", ".join(f"{entry.value}{_from(entry)}" for entry in map(_entry, points))
            raise PluginError(
                f"runtime '{name}' is provided by several installed packages: {providers}",
                hint="uninstall all but one of them",
            )
        return points[0]


def _entry(point: importlib.metadata.EntryPoint) -> RuntimeEntry:
    dist = point.dist
    return RuntimeEntry(
        name=point.name,
        value=point.value,
        distribution=dist.name if dist is not None else None,
        version=dist.version if dist is not None else None,
        requires_floe_core=_floe_core_requirement(dist) if dist is not None else None,
    )


_FLOE_CORE_REQUIREMENT = re.compile(r"^floe[-_.]core\b", re.IGNORECASE)


def _floe_core_requirement(dist: importlib.metadata.Distribution) -> str | None:
    """``floe-core<0.2,>=0.1`` from the distribution's ``Requires-Dist`` (not extras')."""
    for requirement in dist.requires or ():
        if _FLOE_CORE_REQUIREMENT.match(requirement) and "extra ==" not in requirement:
            return requirement.split(";")[0].strip()
    return None


def _from(entry: RuntimeEntry) -> str:
    return f" (distribution {entry.distribution})" if entry.distribution else ""


def _not_found(name: str, installed: list[str]) -> PluginNotFoundError:
    listing = ", ".join(installed) if installed else "none"
    message = f"runtime '{name}' is not installed (installed runtimes: {listing})"
    if name in KNOWN_RUNTIMES:
        return PluginNotFoundError(
            message,
            hint=f"install the distribution {KNOWN_RUNTIMES[name]}: "
            f"pip install {KNOWN_RUNTIMES[name]}",
        )
    choices = sorted(set(installed) | set(KNOWN_RUNTIMES))
    return PluginNotFoundError(
        message,
        hint=f"set plugins.dbt_runtime.type to one of: {', '.join(choices)}, or install the"
        f" package registering '{name}' in entry point group {ENTRY_POINT_GROUP}",
    )


def _parse_version(text: str) -> tuple[int, int] | None:
    major, _, minor = text.partition(".")
    if not (major.isdigit() and minor.isdigit()):
        return None
    return int(major), int(minor)


def check_api_version(name: str, runtime: type[DBTRuntimePlugin[Any]]) -> None:
    """Refuse ``runtime`` unless it declares a plugin API this floe-core implements.

    Compatible: the same major and a minor no greater than :data:`PLUGIN_API_VERSION`.
    Raises :class:`PluginAPIVersionError` naming both versions otherwise, also when the
    runtime declares none (``api_version`` has no default: it says what the author wrote
    against, so it must be written down).
    """
    from floe_core._runtime import PLUGIN_API_VERSION

    declared = getattr(runtime, "api_version", None)
    ours = _parse_version(PLUGIN_API_VERSION)
    theirs = _parse_version(declared) if isinstance(declared, str) else None
    compatible = (
        theirs is not None and ours is not None and theirs[0] == ours[0] and theirs[1] <= ours[1]
    )
    if compatible:
        return
    described = f"runtime '{name}' ({runtime.__module__}.{runtime.__qualname__})"
    major = PLUGIN_API_VERSION.split(".")[0]
    if declared is None:
        raise PluginAPIVersionError(
            f"{described} declares no floe plugin API version; this floe-core provides API"
            f" {PLUGIN_API_VERSION}",
            hint=f'the runtime class must set api_version = "{PLUGIN_API_VERSION}" (the plugin'
            " API it was written against)",
        )
    raise PluginAPIVersionError(
        f"{described} targets floe plugin API {declared!r}; this floe-core provides API"
        f" {PLUGIN_API_VERSION}",
        hint=f"install a version of the runtime built for floe plugin API {major}.x (minor <="
        f" {PLUGIN_API_VERSION}), or a floe-core that provides API {declared}",
    )


def _config_locator(
    location: str | None, location_of: Locator | None
) -> Callable[[str], str | None]:
    def locate(field: str) -> str | None:
        found = location_of(f"{CONFIG_FIELD}.{field}") if location_of is not None else None
        return found or location

    return locate


def _config_error(
    name: str,
    model: type[BaseModel],
    config: dict[str, Any],
    exc: ValidationError,
    location: str | None,
    location_of: Locator | None,
) -> PluginConfigError:
    from floe_core.manifest._diagnostics import describe_errors, summarize
    from floe_core.manifest._yaml import KeyPath, dotted, parse_field_path

    def locate(path: KeyPath) -> str | None:
        return (location_of(dotted(path)) if location_of is not None else None) or location

    problems = describe_errors(
        exc, model=model, data=config, locate=locate, prefix=parse_field_path(CONFIG_FIELD)
    )
    hint = problems[0].hint or (
        f"see the configuration of runtime '{name}' ({model.__name__}) for the accepted keys"
    )
    return PluginConfigError(
        f"runtime '{name}' config: {summarize(problems, location or CONFIG_FIELD)}", hint=hint
    )
