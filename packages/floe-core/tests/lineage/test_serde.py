"""``event_json`` writes what ``Serde.to_json`` writes (every event of the lineage tests is
compared in conftest's ``transport`` fixture; here the corners those events do not reach)."""

from __future__ import annotations

import datetime
import enum
import uuid
from typing import Any

import attr
from openlineage.client.serde import Serde

from floe_core.lineage._serde import event_json


class Colour(enum.Enum):
    RED = "red"


@attr.define
class Leaf:
    name: str
    note: str | None = None
    _private: int = 3


@attr.define
class Tree:
    leaves: list[Leaf | dict[str, Any] | None]
    pair: tuple[int, ...]
    tags: frozenset[str]
    mapping: dict[str, Any]
    when: datetime.datetime
    day: datetime.date
    colour: Colour
    ident: uuid.UUID
    other: object


def test_nulls_empties_enums_dates_and_collections_as_serde_writes_them() -> None:
    tree = Tree(
        leaves=[Leaf("a"), None, {}, {"x": None}, Leaf("b", note="ü"), {"k": [None, {}, 1]}],
        pair=(1, 2),
        tags=frozenset({"t"}),
        mapping={"keep": {}, "drop": None, "leaf": Leaf("c"), "n": 1.5, "flag": False},
        when=datetime.datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=datetime.UTC),
        day=datetime.date(2026, 1, 2),
        colour=Colour.RED,
        ident=uuid.UUID(int=5),
        other=object(),
    )
    assert event_json(tree) == Serde.to_json(tree)
    assert '"other": "<<non-serializable: object>>"' in event_json(tree)
