"""Turn pydantic validation errors into problems that point into the file the user edits.

Pydantic reports where in the *data* an error is (``("project", "source", "git", "ref")``);
this module maps that to the YAML path the user wrote (``project.source.ref``),
its line, and a hint: the close match for an unknown key, the expected type for a wrong one.
Input values are never quoted: they may be secrets.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from floe_core.manifest._yaml import KeyPath, dotted

__all__ = [
    "Problem",
    "allowed_keys",
    "data_path",
    "describe_errors",
    "summarize",
    "value_hint",
]

_EXPECTED = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "string": "a string",
    "dict": "a mapping (key: value)",
    "model": "a mapping (key: value)",
    "model_attributes": "a mapping (key: value)",
    "list": "a list",
    "tuple": "a list",
    "path": "a path string",
}
_BOUNDS = {
    "greater_than_equal": ">=",
    "greater_than": ">",
    "less_than_equal": "<=",
    "less_than": "<",
}


def data_path(loc: Sequence[str | int], data: Any) -> KeyPath:
    """The part of a pydantic ``loc`` that exists in ``data``, plus a missing last key.

    Pydantic inserts union tags (``"git"``) and validator names into ``loc``; they are
    not keys of the data and are dropped, except as the last element (a missing field).
    """
    path: list[str | int] = []
    current = data
    for position, part in enumerate(loc):
        in_mapping = isinstance(current, Mapping) and part in current
        in_list = isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current)
        if in_mapping or in_list:
            current = current[part]
        elif position != len(loc) - 1 or not isinstance(current, Mapping):
            continue
        path.append(part)
    return tuple(path)


def value_hint(error: ErrorDetails) -> str | None:
    """What a valid value looks like: the expected type, bound or choices; else ``None``."""
    kind = error["type"]
    ctx = error.get("ctx", {})
    if kind == "literal_error" and "expected" in ctx:
        return f"use one of: {ctx['expected']}"
    if kind == "union_tag_invalid" and "expected_tags" in ctx:
        discriminator = str(ctx.get("discriminator", "type")).strip("'")
        return f"set `{discriminator}:` to one of: {ctx['expected_tags']}"
    if kind in _BOUNDS:
        bound = next(iter(ctx.values()), None)
        return f"use a value {_BOUNDS[kind]} {bound}" if bound is not None else None
    if kind == "string_too_short":
        return "use a non-empty string"
    expected = _EXPECTED.get(kind.rsplit("_", 1)[0])
    if expected is None:
        return None
    return f"expected {expected}, got {_describe(error.get('input'))}"


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    return type(value).__name__


def allowed_keys(model: type[BaseModel], loc: Sequence[str | int], data: Any = None) -> list[str]:
    """The keys accepted by the model that pydantic's ``loc`` leads to.

    ``data`` (the validated input) lets a model choose a field's model from the data: one
    defining ``model_of_field(field, data)`` (``compute.config`` by ``compute.type``).
    """
    current: Any = model
    for part in loc:
        child = _child_type(current, part, data)
        if child is not None:  # parts that are not fields (validator names) are skipped
            current = child
            data = data.get(part) if isinstance(data, Mapping) else None
    models = _models_in(current)
    if len(models) != 1:
        return []
    return [info.alias or name for name, info in models[0].model_fields.items()]


def _child_type(annotation: Any, part: str | int, data: Any) -> Any:
    models = _models_in(annotation)
    for member in models:  # a discriminated union: ``part`` is the tag
        type_field = member.model_fields.get("type")
        if len(models) > 1 and type_field is not None and type_field.default == part:
            return member
    if len(models) == 1:
        chooser = getattr(models[0], "model_of_field", None)
        chosen = chooser(part, data) if chooser is not None and isinstance(data, Mapping) else None
        if chosen is not None:
            return chosen
        for name, info in models[0].model_fields.items():
            if part in (name, info.alias):
                return info.annotation
    return None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The model classes behind ``annotation`` (unwrapping ``Annotated`` and unions)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _models_in(typing.get_args(annotation)[0])
    if origin is typing.Union or origin is types.UnionType:
        return [model for arg in typing.get_args(annotation) for model in _models_in(arg)]
    return []


@dataclass(frozen=True)
class Problem:
    """One validation error, located in the file the user edits."""

    field: str
    location: str | None
    message: str
    hint: str | None

    def __str__(self) -> str:
        return (
            f"{self.location}: {self.field}: {self.message}"
            if self.location
            else (f"{self.field}: {self.message}")
        )


def describe_errors(
    exc: ValidationError,
    *,
    model: type[BaseModel],
    data: Any,
    locate: Callable[[KeyPath], str | None],
    prefix: KeyPath = (),
    field_hints: Mapping[KeyPath, str] | None = None,
) -> list[Problem]:
    """``exc`` (from validating ``data`` with ``model``) as :class:`Problem` s.

    ``prefix`` is where ``data`` sits in the file; ``locate`` maps a full key path to
    ``file:line``; ``field_hints`` overrides the hint for particular fields.
    """
    problems = []
    for error in exc.errors():
        # a whole-model check names the field it blames in its context
        loc = error["loc"] or (str(error.get("ctx", {}).get("field", "")),)
        path = data_path(loc, data)
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = f"unknown key '{path[-1]}'"
        elif error["type"] == "missing":
            message = "required key is missing"
        hint = (field_hints or {}).get(path) or _hint(error, model, (*prefix, *path), data)
        full = (*prefix, *path)
        problems.append(Problem(dotted(full) or "(top level)", locate(full), message, hint))
    return problems


def summarize(problems: Sequence[Problem], source: str) -> str:
    """One problem as is; several as a list, each after the first with its hint."""
    if len(problems) == 1:
        return str(problems[0])
    return f"{len(problems)} problems in {source}:" + "".join(
        f"\n  {problem}" + (f" ({problem.hint})" if problem.hint and index else "")
        for index, problem in enumerate(problems)
    )


def _hint(error: ErrorDetails, model: type[BaseModel], path: KeyPath, data: Any) -> str | None:
    kind = error["type"]
    ctx = error.get("ctx", {})
    if "hint" in ctx:  # a check of our own models says how to fix it
        return str(ctx["hint"])
    if kind == "extra_forbidden":
        keys = allowed_keys(model, error["loc"][:-1], data)
        close = difflib.get_close_matches(str(path[-1]), keys, n=1)
        listing = f"allowed keys here: {', '.join(keys)}" if keys else "remove it"
        return f"did you mean '{close[0]}'? {listing}" if close else listing
    if kind == "missing":
        parent = dotted(path[:-1]) or "the top level"
        return f"add '{path[-1]}' under {parent}"
    if kind == "union_tag_not_found":
        return "add `type:` to say which kind it is"
    return value_hint(error)
