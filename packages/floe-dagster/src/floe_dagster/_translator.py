"""How a dbt resource of manifest.json becomes a Dagster asset: keys, groups, owners, metadata.

The defaults follow dagster-dbt's ``DagsterDbtTranslator`` (Apache-2.0, dagster-io/dagster,
python_modules/libraries/dagster-dbt/dagster_dbt/asset_utils.py) for everything that is part of
an asset's identity — asset keys and asset check names — so a team moving from dagster-dbt keeps
its asset history. Subclass and override a ``get_*`` method to change one aspect; every method
takes the dbt resource's properties as they appear in manifest.json, as dagster-dbt's do.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from dagster import AssetCheckSpec, AssetKey, MetadataValue, TableColumn, TableSchema

__all__ = ["UNIQUE_ID_METADATA_KEY", "FloeDagsterTranslator"]

UNIQUE_ID_METADATA_KEY = "floe/unique_id"
"""Metadata key holding the dbt unique_id of an asset or asset check (how floe finds the node)."""

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TAG = re.compile(r"^[A-Za-z0-9_.-]{1,63}$")
_GROUP = re.compile(r"^[A-Za-z0-9_]+$")


def _dagster_meta(props: Mapping[str, Any]) -> Mapping[str, Any]:
    """``meta.dagster`` of a resource; dbt >= 1.10 puts ``meta`` under ``config``."""
    meta = (props.get("config") or {}).get("meta") or props.get("meta") or {}
    dagster = meta.get("dagster") if isinstance(meta, Mapping) else None
    return dagster if isinstance(dagster, Mapping) else {}


def _meta(props: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = (props.get("config") or {}).get("meta") or props.get("meta") or {}
    return meta if isinstance(meta, Mapping) else {}


def _as_owner(value: str) -> str:
    """An owner as Dagster accepts it: an email, or ``team:<name>``."""
    if _EMAIL.match(value) or value.startswith("team:"):
        return value
    return f"team:{value}"


class FloeDagsterTranslator:
    """Derives each Dagster attribute of a dbt model, seed, snapshot, source or test."""

    def get_asset_key(self, props: Mapping[str, Any]) -> AssetKey:
        """``meta.dagster.asset_key`` if set; a source ``[source_name, name]``; a versioned
        model ``[alias]``; otherwise ``[name]`` prefixed by the model's own ``schema`` config.
        (dagster-dbt's default key, so existing asset history carries over.)"""
        configured = _dagster_meta(props).get("asset_key")
        if configured:
            return AssetKey(configured)
        if props["resource_type"] == "source":
            return AssetKey([props["source_name"], props["name"]])
        if props.get("version"):
            return AssetKey([props["alias"]])
        schema = (props.get("config") or {}).get("schema")
        return AssetKey([schema, props["name"]] if schema else [props["name"]])

    def get_group_name(self, props: Mapping[str, Any]) -> str | None:
        """``meta.dagster.group``, else the dbt group, else the folder under the resource's
        path (``models/staging/x.sql`` -> ``staging``); ``None`` (Dagster's default group)
        for a resource at the top of its folder."""
        group = _dagster_meta(props).get("group") or (props.get("config") or {}).get("group")
        if not group:
            fqn = props.get("fqn") or []
            # fqn is [package, *folders, name]: the first folder names the group.
            group = fqn[1] if len(fqn) >= 3 else None
        return group if isinstance(group, str) and _GROUP.match(group) else None

    def get_owners(self, props: Mapping[str, Any]) -> Sequence[str]:
        """``meta.dagster.owners``, else ``meta.owner`` (a name becomes ``team:<name>``), else
        the email of the dbt group's owner."""
        configured = _dagster_meta(props).get("owners")
        if configured:
            return [_as_owner(str(owner)) for owner in configured]
        owner = _meta(props).get("owner")
        if isinstance(owner, str) and owner:
            return [_as_owner(owner)]
        email = ((props.get("group") or {}).get("owner") or {}).get("email")
        return [email] if isinstance(email, str) and email else []

    def get_description(self, props: Mapping[str, Any]) -> str:
        return props.get("description") or f"dbt {props['resource_type']} {props['name']}"

    def get_tags(self, props: Mapping[str, Any]) -> Mapping[str, str]:
        """dbt tags as Dagster tags with an empty value (those Dagster can hold)."""
        return {tag: "" for tag in props.get("tags") or () if _TAG.match(tag)}

    def get_kinds(self, props: Mapping[str, Any], adapter_type: str | None) -> set[str]:
        return {"dbt", adapter_type} if adapter_type else {"dbt"}

    def get_code_version(self, props: Mapping[str, Any]) -> str | None:
        """The node's checksum: it changes exactly when the model's file does."""
        checksum = (props.get("checksum") or {}).get("checksum")
        return checksum if isinstance(checksum, str) and checksum else None

    def get_metadata(self, props: Mapping[str, Any]) -> Mapping[str, Any]:
        """The column schema (documented columns), the relation name and dbt facts."""
        columns = props.get("columns") or {}
        metadata: dict[str, Any] = {UNIQUE_ID_METADATA_KEY: props["unique_id"]}
        if columns:  # Dagster's standard keys (what dagster-dbt's TableMetadataSet writes)
            metadata["dagster/column_schema"] = MetadataValue.table_schema(
                TableSchema(
                    columns=[
                        TableColumn(
                            name=name,
                            type=column.get("data_type") or "?",
                            description=column.get("description") or None,
                            tags={tag: "" for tag in column.get("tags") or () if _TAG.match(tag)},
                        )
                        for name, column in columns.items()
                    ]
                )
            )
        relation = props.get("relation_name")
        if relation:
            metadata["dagster/table_name"] = relation.replace('"', "").replace("`", "")
        materialized = (props.get("config") or {}).get("materialized")
        if materialized:
            metadata["floe/materialization"] = materialized
        return metadata

    def get_asset_check_spec(
        self,
        test_props: Mapping[str, Any],
        asset_key: AssetKey,
        additional_deps: Sequence[AssetKey] = (),
    ) -> AssetCheckSpec:
        """A dbt test as a check on the asset it is attached to, named after the test (as
        dagster-dbt names it); blocking when the test's severity is ``error``."""
        severity = str((test_props.get("config") or {}).get("severity") or "error")
        return AssetCheckSpec(
            name=test_props["name"],
            asset=asset_key,
            description=test_props.get("description") or None,
            additional_deps=[key for key in additional_deps if key != asset_key],
            blocking=severity.lower() == "error",
            metadata={UNIQUE_ID_METADATA_KEY: test_props["unique_id"]},
        )
