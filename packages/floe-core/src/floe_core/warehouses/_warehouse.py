"""What floe knows about one warehouse type: the :class:`Warehouse` descriptor.

A descriptor never imports its dbt adapter or driver: it works on the manifest's settings
and on dbt profile *outputs* (the mapping under ``outputs.<target>`` in profiles.yml), so
the same code serves a profile floe generates and one the user wrote.
"""

from __future__ import annotations

import importlib.metadata
import socket
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict
from pydantic_core import PydanticCustomError

from floe_core._errors import ProfileError
from floe_core._runtime import HealthStatus
from floe_core.manifest._secrets import is_secret_ref

__all__ = ["SETTINGS_CONFIG", "SecretRef", "SettingError", "Warehouse", "driver_of"]

SETTINGS_CONFIG = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
"""The model config of every warehouse's settings: strict like the rest of the manifest."""

SettingsT = TypeVar("SettingsT", bound=BaseModel)

PathResolver = Callable[[str], Path]
"""A path as written in the manifest -> absolute (against the manifest's folder)."""


def _must_be_reference(value: str) -> str:
    if not is_secret_ref(value):
        # The message must not contain the value: it is (probably) a real secret.
        raise PydanticCustomError(
            "plain_text_secret",
            "a plain-text secret is not allowed; use a ${env:NAME} reference",
            {"hint": "keep the secret in an environment variable and write `${env:NAME}`"},
        )
    return value


SecretRef = Annotated[str, AfterValidator(_must_be_reference)]
"""A settings field holding a secret: only ``${env:NAME}`` is accepted, never the value."""


def driver_of(exc: BaseException) -> set[tuple[str, str]]:
    """``(top-level module, class name)`` of ``exc``'s class and its bases.

    Drivers are recognised by name, so classifying an error never imports a driver; the
    leading underscore of private extension modules (duckdb's ``_duckdb``) is dropped.
    """
    return {(cls.__module__.split(".")[0].lstrip("_"), cls.__name__) for cls in type(exc).__mro__}


class SettingError(ProfileError):
    """A warehouse setting is valid YAML but unusable (``field`` names it under
    ``compute.config``, so the error can point at its line)."""

    def __init__(self, field: str, message: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.field = field


class Warehouse(ABC, Generic[SettingsT]):
    """One warehouse type: its manifest settings, the dbt profile output it generates, its
    OpenLineage dataset namespace, its transient errors, its health probe and its adapter.

    Subclasses set the class attributes and implement :meth:`dbt_output` and
    :meth:`namespace`; register them in entry point group ``floe.warehouses`` under
    :attr:`name` (see docs/plugin-authoring.md).
    """

    name: ClassVar[str]
    """``compute.type`` in the manifest, and dbt's adapter ``type`` in profiles.yml."""
    adapter_package: ClassVar[str]
    """The distribution providing the dbt adapter, e.g. ``dbt-postgres``."""
    settings_model: ClassVar[type[BaseModel]]
    """The model of ``compute.config`` for this type (strict: unknown keys are errors)."""
    transient_errors: ClassVar[frozenset[tuple[str, str]]] = frozenset()
    """``(driver module, exception class)`` pairs that describe the connection or the
    server's state rather than the statement: another attempt may succeed."""
    transient_messages: ClassVar[tuple[str, ...]] = ()
    """Lower-case fragments of error messages that say the same (for drivers that raise one
    class for everything)."""
    default_port: ClassVar[int | None] = None
    """For a server reached at the output's ``host``/``port``: the port when none is given."""

    @abstractmethod
    def dbt_output(self, settings: SettingsT, *, resolve_path: PathResolver) -> dict[str, Any]:
        """The dbt profile output for ``settings`` (secrets stay ``${env:NAME}``)."""

    @abstractmethod
    def namespace(self, output: Mapping[str, Any]) -> str:
        """The OpenLineage dataset namespace of ``output``'s datasets (OpenLineage naming
        spec), from a generated or a user-written profile output."""

    def endpoint(self, output: Mapping[str, Any]) -> tuple[str, int] | None:
        """``(host, port)`` the health probe connects to; ``None``: nothing to connect to.

        By default the output's ``host`` and ``port`` (else :attr:`default_port`) for a type
        that has a default port."""
        if self.default_port is None:
            return None
        return str(output.get("host") or "localhost"), int(output.get("port") or self.default_port)

    def host_port_namespace(self, output: Mapping[str, Any]) -> str:
        """``<name>://{host}:{port}``, the spec's namespace for most database servers."""
        host, port = self.endpoint(output) or ("localhost", self.default_port)
        return f"{self.name}://{host}:{port}"

    def allows_several_writers(self, output: Mapping[str, Any]) -> bool:
        """Whether several processes may write to ``output``'s database at once (a server
        does; an embedded database file locks out every process but one)."""
        return True

    def prepare(self, output: Mapping[str, Any]) -> None:
        """Make ``output`` usable right before dbt runs (e.g. create a database folder)."""

    def is_transient(self, exc: BaseException) -> bool:
        """Whether ``exc`` (one exception, not its cause chain) may pass on a new attempt."""
        if driver_of(exc) & self.transient_errors:
            return True
        message = str(exc).lower()
        return any(fragment in message for fragment in self.transient_messages)

    def adapter_version(self) -> str | None:
        """The installed version of :attr:`adapter_package` (package metadata only)."""
        try:
            return importlib.metadata.version(self.adapter_package)
        except importlib.metadata.PackageNotFoundError:
            return None

    def probe(self, output: Mapping[str, Any], *, timeout: float = 3.0) -> HealthStatus:
        """Whether ``output`` can work from here: the adapter is installed and the endpoint
        accepts a TCP connection.

        Nothing is imported and no credentials are used: reachability is what a health check
        can tell cheaply; a wrong password still shows on the first run.
        """
        version = self.adapter_version()
        problems = [] if version else [f"{self.adapter_package} is not installed"]
        checks = {"adapter": f"{self.adapter_package} {version}" if version else "missing"}
        endpoint = self.endpoint(output)
        if endpoint is not None:
            host, port = endpoint
            try:
                with socket.create_connection((host, port), timeout=timeout):
                    checks["endpoint"] = f"{host}:{port} reachable"
            except OSError as exc:
                reason = exc.strerror or type(exc).__name__
                checks["endpoint"] = f"{host}:{port} unreachable: {reason}"
                problems.append(f"{host}:{port} is unreachable ({reason})")
        message = f"{self.name}: " + ("; ".join(problems) if problems else "ok")
        return HealthStatus(healthy=not problems, message=message, checks=checks)
