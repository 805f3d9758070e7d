"""Translation of dbt's exceptions into floe's error hierarchy, at the runtime's boundary.

dbtRunner returns exceptions instead of raising them; :func:`floe_error_from_dbt` picks the
floe error a user can act on and keeps dbt's own message (which names the file or node)::

    DbtProfileError                         -> ProfileError
    DbtProjectError, DbtSelectorsError, ... -> ProjectError        (other DbtConfigError)
    DbtUsageException                       -> ConfigError         (bad selection syntax)
    FailedToConnectError, DbtDatabaseError  -> WarehouseError
    ParsingError, CompilationError, ...     -> DBTCompilationError (DbtValidationError too)
    KeyboardInterrupt                       -> RunCancelledError
    anything else                           -> RuntimeExecutionError
"""

from __future__ import annotations

from pathlib import Path

from dbt.cli.exceptions import DbtUsageException
from dbt.exceptions import DbtProfileError, ParsingError
from dbt_common.exceptions import (
    CompilationError,
    DbtConfigError,
    DbtDatabaseError,
    DbtValidationError,
)

from floe_core import (
    ConfigError,
    DBTCompilationError,
    FloeError,
    ProfileError,
    ProjectError,
    RunCancelledError,
    RuntimeExecutionError,
    WarehouseError,
)

__all__ = ["floe_error_from_dbt"]


def floe_error_from_dbt(exc: BaseException, *, project_dir: Path, action: str) -> FloeError:
    """The floe error for ``exc``, raised by dbt while ``action`` (e.g. ``"dbt build"``)."""
    if isinstance(exc, FloeError):
        return exc
    detail = _message(exc)
    where = f"{action} in {project_dir}"
    if isinstance(exc, KeyboardInterrupt):
        return RunCancelledError(f"{where} was interrupted")
    if isinstance(exc, DbtProfileError):
        return ProfileError(
            f"{where}: the dbt profile is unusable: {detail}",
            hint="check the manifest's compute section (or profiles.yml) and its env vars",
        )
    if isinstance(exc, DbtConfigError):
        return ProjectError(
            f"{where}: the dbt project is invalid: {detail}",
            hint="fix dbt_project.yml (or selectors.yml) at the place dbt names",
        )
    if isinstance(exc, DbtUsageException):
        return ConfigError(
            f"{where}: dbt rejected the arguments: {detail}",
            hint="check --select/--exclude/--selector and --vars",
        )
    if isinstance(exc, DbtDatabaseError):
        return WarehouseError(
            f"{where}: the warehouse failed: {detail}",
            hint="check that the warehouse is reachable and the credentials are right",
        )
    if isinstance(exc, ParsingError | CompilationError | DbtValidationError):
        return DBTCompilationError(
            f"{where}: the project does not compile: {detail}",
            hint="fix the file dbt names above, then rerun",
        )
    return RuntimeExecutionError(f"{where} failed: {type(exc).__name__}: {detail}")


def _message(exc: BaseException) -> str:
    # dbt prefixes multi-line messages with indentation meant for its console; keep the text.
    text = str(exc).strip()
    return text or type(exc).__name__
