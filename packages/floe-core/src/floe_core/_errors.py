"""The floe error hierarchy.

Every error floe raises on purpose derives from :class:`FloeError`; plugins translate vendor
errors (dbt, httpx, temporalio) into these at their boundary with ``raise ... from exc``::

    FloeError                       exit_code 1 unless stated
    ├── ConfigError                 exit_code 2: the user must change an input
    │   ├── ManifestError           platform-manifest.yaml is unreadable or invalid
    │   ├── ProjectError            the dbt project is missing or unusable
    │   ├── ProfileError            no usable dbt profile / compute section
    │   ├── SecretError             a ``${env:NAME}`` reference cannot be resolved
    │   ├── MissingExtraError       a feature needs an extra of floe-core that is not installed
    │   └── PluginError             a runtime plugin cannot be found, loaded or configured
    │       ├── PluginNotFoundError
    │       ├── PluginConfigError
    │       ├── PluginAPIVersionError
    │       └── UnsupportedCommandError  the runtime does not declare the command
    └── RuntimeExecutionError       a runtime failed to execute (not a node failure)
        ├── DBTCompilationError     the project does not parse/compile
        ├── WarehouseError          the warehouse is unreachable or rejected us
        └── RunCancelledError       the run was cancelled or timed out

A node that fails (SQL error, failing test) is *not* an exception: it is a ``NodeResult``
with status ``error``/``fail`` inside a ``DBTRunResult``.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DBTCompilationError",
    "FloeError",
    "ManifestError",
    "MissingExtraError",
    "PluginAPIVersionError",
    "PluginConfigError",
    "PluginError",
    "PluginNotFoundError",
    "ProfileError",
    "ProjectError",
    "RunCancelledError",
    "RuntimeExecutionError",
    "SecretError",
    "UnsupportedCommandError",
    "WarehouseError",
]


class FloeError(Exception):
    """Base of every error floe raises on purpose.

    ``message`` says what went wrong, naming the file/field/node; ``hint`` says how to fix it.
    """

    exit_code: int = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class ConfigError(FloeError):
    """An input the user controls is wrong; fixing that input fixes the error."""

    exit_code = 2


class ManifestError(ConfigError):
    """platform-manifest.yaml is missing, malformed or fails validation.

    ``location`` is ``file:line`` (or just the file) and ``field`` the dotted YAML path.
    """

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        location: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.location = location
        self.field = field


class ProjectError(ConfigError):
    """The dbt project directory is missing or is not a dbt project."""


class ProfileError(ConfigError):
    """Neither a usable ``compute`` section nor an existing profiles.yml was given."""


class SecretError(ConfigError):
    """A secret reference (``${env:NAME}``) cannot be resolved. Never carries the value."""


class MissingExtraError(ConfigError):
    """A feature the manifest or the caller asks for needs an uninstalled floe-core extra.

    ``extra`` is the extra's name (``lineage``, ``tracing``, ``s3``...); the hint says what to
    install.
    """

    def __init__(self, feature: str, extra: str, missing: str) -> None:
        super().__init__(
            f"{feature} needs the Python package {missing!r}, which is not installed",
            hint=f"install floe-core[{extra}]: pip install 'floe-core[{extra}]'",
        )
        self.extra = extra


class PluginError(ConfigError):
    """A runtime plugin cannot be found, loaded or configured."""


class PluginNotFoundError(PluginError):
    """No installed runtime has the requested name."""


class PluginConfigError(PluginError):
    """The ``plugins.dbt_runtime.config`` section fails the runtime's own config model."""


class PluginAPIVersionError(PluginError):
    """The runtime was written for an incompatible floe plugin API version."""


class UnsupportedCommandError(PluginError):
    """The runtime does not declare the requested dbt command; nothing ran."""


class RuntimeExecutionError(FloeError):
    """A runtime could not execute the invocation (distinct from nodes that failed)."""


class DBTCompilationError(RuntimeExecutionError):
    """dbt could not parse or compile the project; nothing was executed."""

    exit_code = 2


class WarehouseError(RuntimeExecutionError):
    """The warehouse could not be reached or refused the connection."""


class RunCancelledError(RuntimeExecutionError):
    """The run was cancelled (by the user, a signal, or a timeout)."""
