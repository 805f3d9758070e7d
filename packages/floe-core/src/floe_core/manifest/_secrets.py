"""Secrets by reference: ``${env:NAME}`` in any manifest string, resolved only when needed.

A manifest never holds a secret value. Loading and validating it does not need the secrets to
be set; whoever needs the value (a runtime's config, a connection) resolves the reference at
the last moment, and a generated dbt profile carries it as dbt's own ``env_var('NAME')``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from typing import Any

from floe_core._errors import SecretError

__all__ = [
    "SECRET_REF_PATTERN",
    "find_secret_refs",
    "invalid_secret_ref",
    "is_secret_ref",
    "render_dbt_env_vars",
    "resolve_secret_refs",
    "walk_strings",
]

SECRET_REF_PATTERN = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")
"""``${env:NAME}``: NAME is an environment variable name."""

_ANY_REF = re.compile(r"\$\{[^}]*\}?")


def find_secret_refs(value: str) -> list[str]:
    """The environment variable names referenced in ``value``, in order."""
    return SECRET_REF_PATTERN.findall(value)


def is_secret_ref(value: str) -> bool:
    """Whether ``value`` is exactly one ``${env:NAME}`` reference and nothing else."""
    return SECRET_REF_PATTERN.fullmatch(value) is not None


def invalid_secret_ref(value: str) -> str | None:
    """The first ``${...}`` in ``value`` that is not a valid ``${env:NAME}``, if any."""
    for match in _ANY_REF.finditer(value):
        if SECRET_REF_PATTERN.fullmatch(match.group(0)) is None:
            return match.group(0)
    return None


def walk_strings(value: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string inside nested mappings/lists as ``(dotted.path, string)``."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from walk_strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from walk_strings(item, f"{path}[{index}]")


def resolve_secret_refs(value: Any, *, field: str) -> Any:
    """``value`` with every ``${env:NAME}`` replaced by the variable's value, recursively.

    ``field`` is the dotted manifest path of ``value``, used to name the place of an unset
    variable in the :class:`SecretError` (which never contains a value).
    """
    if isinstance(value, str):
        return SECRET_REF_PATTERN.sub(lambda match: _env_value(match.group(1), field), value)
    if isinstance(value, Mapping):
        return {
            key: resolve_secret_refs(item, field=f"{field}.{key}") for key, item in value.items()
        }
    if isinstance(value, list | tuple):
        resolved = [
            resolve_secret_refs(item, field=f"{field}[{index}]") for index, item in enumerate(value)
        ]
        return type(value)(resolved) if isinstance(value, tuple) else resolved
    return value


def render_dbt_env_vars(value: Any) -> Any:
    """``value`` with every ``${env:NAME}`` rewritten as dbt's ``{{ env_var('NAME') }}``."""
    if isinstance(value, str):
        return SECRET_REF_PATTERN.sub(lambda match: f"{{{{ env_var('{match.group(1)}') }}}}", value)
    if isinstance(value, Mapping):
        return {key: render_dbt_env_vars(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [render_dbt_env_vars(item) for item in value]
    return value


def _env_value(name: str, field: str) -> str:
    try:
        return os.environ[name]
    except KeyError:
        raise SecretError(
            f"{field}: environment variable {name} is not set (referenced as ${{env:{name}}})",
            hint=f"export {name}=... in the environment that runs floe",
        ) from None
