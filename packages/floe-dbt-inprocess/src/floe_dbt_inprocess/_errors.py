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

# First match wins: DbtProfileError is a DbtConfigError, so it comes before it.
_TRANSLATIONS: tuple[tuple[tuple[type[BaseException], ...], type[FloeError], str, str], ...] = (
    (
        (DbtProfileError,),
        ProfileError,
        "the dbt profile is unusable",
        "check the manifest's compute section (or profiles.yml) and its env vars",
    ),
    (
        (DbtConfigError,),
        ProjectError,
        "the dbt project is invalid",
        "fix dbt_project.yml (or selectors.yml) at the place dbt names",
    ),
    (
        (DbtUsageException,),
        ConfigError,
        "dbt rejected the arguments",
        "check --select/--exclude/--selector and --vars",
    ),
    (
        (DbtDatabaseError,),
        WarehouseError,
        "the warehouse failed",
        "check that the warehouse is reachable and the credentials are right",
    ),
    (
        (ParsingError, CompilationError, DbtValidationError),
        DBTCompilationError,
        "the project does not compile",
        "fix the file dbt names above, then rerun",
    ),
)


def floe_error_from_dbt(exc: BaseException, *, project_dir: Path, action: str) -> FloeError:
    """The floe error for ``exc``, raised by dbt while ``action`` (e.g. ``"dbt build"``)."""
    if isinstance(exc, FloeError):
        return exc
    detail = _message(exc)
    where = f"{action} in {project_dir}"
    if isinstance(exc, KeyboardInterrupt):
        return RunCancelledError(f"{where} was interrupted")
    for dbt_types, floe_type, summary, hint in _TRANSLATIONS:
        if isinstance(exc, dbt_types):
            return floe_type(f"{where}: {summary}: {detail}", hint=hint)
    return RuntimeExecutionError(f"{where} failed: {type(exc).__name__}: {detail}")


def _message(exc: BaseException) -> str:
    # dbt prefixes multi-line messages with indentation meant for its console; keep the text.
    text = str(exc).strip()
    return text or type(exc).__name__
