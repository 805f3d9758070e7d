"""Query strings and list pages as the Admin API reads and answers them.

A value of the wrong type is a JSON 400 naming the parameter (the real API validates its
filters the same way); an unknown parameter is ignored, as the real API does. Lists page
with ``limit`` (1-100, default 100) and ``offset`` and sort by one of the fields the endpoint
documents, ``-`` reversing the order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

from floe_dbt_cloud.testing._envelope import ApiError, list_envelope

__all__ = ["MAX_LIMIT", "Query"]

MAX_LIMIT = 100
_TRUE, _FALSE = {"true", "1", "yes"}, {"false", "0", "no"}


class Query:
    """One request's query string, read with the types the API documents."""

    def __init__(self, raw: dict[str, list[str]]) -> None:
        self._raw = raw

    def text(self, name: str) -> str | None:
        values = self._raw.get(name)
        return values[-1] if values else None

    def integer(self, name: str) -> int | None:
        value = self.text(name)
        if value is None or value == "":
            return None
        if not re.fullmatch(r"-?\d{1,18}", value.strip()):
            raise ApiError(400, f"{name}: A valid integer is required.")
        return int(value)

    def integers(self, name: str) -> list[int] | None:
        """``[1,2]``, ``1,2`` or the key repeated."""
        values = self._raw.get(name)
        if not values:
            return None
        parts = [p.strip(" \"'") for v in values for p in v.strip().strip("[]").split(",")]
        if not all(re.fullmatch(r"-?\d{1,18}", p) for p in parts if p):
            raise ApiError(400, f"{name}: Enter a list of integers, e.g. [1,2,3].")
        return [int(p) for p in parts if p]

    def boolean(self, name: str) -> bool | None:
        value = self.text(name)
        if value is None or value == "":
            return None
        if value.lower() in _TRUE:
            return True
        if value.lower() in _FALSE:
            return False
        raise ApiError(400, f"{name}: Must be a valid boolean (true or false).")

    def related(self) -> set[str]:
        """``include_related`` as repeated keys, a comma list or a JSON-ish list."""
        names: set[str] = set()
        for value in self._raw.get("include_related", []):
            names.update(p.strip(" \"'") for p in value.strip("[]").split(",") if p.strip())
        return names

    def page(
        self,
        items: list[dict[str, Any]],
        *,
        order_fields: Collection[str],
        filters: dict[str, Any],
        default_order: str = "id",
    ) -> dict[str, Any]:
        """``items`` (API objects, already filtered) sorted, sliced and enveloped."""
        limit = self.integer("limit")
        limit = MAX_LIMIT if limit is None else limit
        if not 1 <= limit <= MAX_LIMIT:
            raise ApiError(400, f"limit: Ensure this value is between 1 and {MAX_LIMIT}.")
        offset = self.integer("offset") or 0
        if offset < 0:
            raise ApiError(400, "offset: Ensure this value is greater than or equal to 0.")
        order_by = self.text("order_by") or default_order
        field = order_by.removeprefix("-")
        if field not in order_fields:
            choices = ", ".join(sorted(order_fields))
            raise ApiError(400, f"order_by: Invalid ordering {order_by!r}; choose from {choices}.")
        ordered = sorted(items, key=_sort_key(field), reverse=order_by.startswith("-"))
        page = ordered[offset : offset + limit]
        used = {k: v for k, v in filters.items() if v is not None}
        return list_envelope(page, {**used, "limit": limit, "offset": offset}, order_by, len(items))


def _sort_key(field: str) -> Callable[[dict[str, Any]], tuple[bool, Any, int]]:
    """Nulls last; ties broken by id, as a database's stable order would."""
    return lambda item: (item.get(field) is None, item.get(field) or 0, item["id"])
