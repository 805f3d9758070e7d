"""The translator's defaults are dagster-dbt's where they name things (keys, check names)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetKey

from floe_dagster import FloeDagsterTranslator

MODEL: dict[str, Any] = {
    "unique_id": "model.shop.orders",
    "resource_type": "model",
    "name": "orders",
    "alias": "orders",
    "fqn": ["shop", "marts", "orders"],
    "config": {"materialized": "table", "meta": {}},
    "checksum": {"name": "sha256", "checksum": "abc123"},
    "columns": {},
}


def model(**changes: Any) -> dict[str, Any]:
    return {**MODEL, **changes, "config": {**MODEL["config"], **changes.get("config", {})}}


def test_asset_keys_follow_dagster_dbt() -> None:
    translator = FloeDagsterTranslator()
    assert translator.get_asset_key(model()) == AssetKey(["orders"])
    assert translator.get_asset_key(model(config={"schema": "marts"})) == AssetKey(
        ["marts", "orders"]
    )
    assert translator.get_asset_key(model(version=2, alias="orders_v2")) == AssetKey(["orders_v2"])
    source = {"resource_type": "source", "source_name": "landing", "name": "sales"}
    assert translator.get_asset_key(source) == AssetKey(["landing", "sales"])
    pinned = model(config={"meta": {"dagster": {"asset_key": ["a", "b"]}}})
    assert translator.get_asset_key(pinned) == AssetKey(["a", "b"])
    legacy_meta = {**model(), "meta": {"dagster": {"asset_key": ["c"]}}}  # dbt < 1.10
    assert translator.get_asset_key(legacy_meta) == AssetKey(["c"])


def test_group_is_dagster_meta_then_dbt_group_then_folder() -> None:
    translator = FloeDagsterTranslator()
    assert translator.get_group_name(model()) == "marts"
    assert translator.get_group_name(model(config={"group": "finance"})) == "finance"
    assert translator.get_group_name(model(config={"meta": {"dagster": {"group": "g"}}})) == "g"
    assert translator.get_group_name(model(fqn=["shop", "orders"])) is None
    assert translator.get_group_name(model(fqn=["shop", "my-folder", "orders"])) is None


def test_owners_accept_names_emails_and_group_owners() -> None:
    translator = FloeDagsterTranslator()
    assert translator.get_owners(model(config={"meta": {"owner": "crm-team"}})) == ["team:crm-team"]
    assert translator.get_owners(model(config={"meta": {"owner": "a@example.com"}})) == [
        "a@example.com"
    ]
    grouped = model(group={"name": "finance", "owner": {"email": "f@example.com"}})
    assert translator.get_owners(grouped) == ["f@example.com"]
    assert translator.get_owners(model()) == []


def test_code_version_is_the_checksum_and_tags_keep_valid_names() -> None:
    translator = FloeDagsterTranslator()
    assert translator.get_code_version(model()) == "abc123"
    assert translator.get_tags(model(tags=["daily", "has a space"])) == {"daily": ""}


def test_a_subclass_changes_one_aspect() -> None:
    class Prefixed(FloeDagsterTranslator):
        def get_asset_key(self, props: Mapping[str, Any]) -> AssetKey:
            return super().get_asset_key(props).with_prefix("warehouse")

    assert Prefixed().get_asset_key(model()) == AssetKey(["warehouse", "orders"])
    assert Prefixed().get_group_name(model()) == "marts"
