"""The asset, source and check specs of a dbt project, read from its manifest.json."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dagster import AssetCheckSpec, AssetDep, AssetKey, AssetSpec

from floe_core import ProjectError
from floe_dagster._translator import FloeDagsterTranslator

__all__ = ["ASSET_RESOURCE_TYPES", "SELECTOR_METADATA_KEY", "FloeSpecs", "build_specs"]

ASSET_RESOURCE_TYPES = ("model", "seed", "snapshot")
"""dbt resources that become materializable assets (sources become external assets)."""

SELECTOR_METADATA_KEY = "floe/selector"
"""Metadata key of the dbt selector that picks exactly one node (``fqn:...``)."""


@dataclass(frozen=True)
class FloeSpecs:
    assets: list[AssetSpec]
    """Models, seeds and snapshots: what the multi-asset materializes."""
    sources: list[AssetSpec]
    """dbt sources: external assets, upstream of the models that read them."""
    checks: list[AssetCheckSpec]


def _is_asset(props: Mapping[str, Any]) -> bool:
    if props.get("resource_type") not in ASSET_RESOURCE_TYPES:
        return False
    return (props.get("config") or {}).get("materialized") != "ephemeral"


def _selector(props: Mapping[str, Any]) -> str:
    if props["resource_type"] == "source":
        return f"source:{props['package_name']}.{props['source_name']}.{props['name']}"
    return "fqn:" + ".".join(props["fqn"])


class _Graph:
    """Nodes and sources of a manifest, with parents resolved through ephemeral models."""

    def __init__(self, manifest: Mapping[str, Any]) -> None:
        groups = {group.get("name"): group for group in (manifest.get("groups") or {}).values()}
        # A node names its dbt group; the translator sees the group itself (with its owner).
        self.nodes: Mapping[str, Mapping[str, Any]] = {
            unique_id: {**props, "group": groups[props["group"]]}
            if isinstance(props.get("group"), str) and props["group"] in groups
            else props
            for unique_id, props in (manifest.get("nodes") or {}).items()
        }
        self.sources: Mapping[str, Mapping[str, Any]] = manifest.get("sources") or {}

    def props(self, unique_id: str) -> Mapping[str, Any] | None:
        return self.nodes.get(unique_id) or self.sources.get(unique_id)

    def upstream(self, props: Mapping[str, Any]) -> set[str]:
        """Asset and source parents; an ephemeral model is looked through, not depended on."""
        found: set[str] = set()
        queue = list((props.get("depends_on") or {}).get("nodes") or ())
        seen: set[str] = set()
        while queue:
            parent_id = queue.pop()
            if parent_id in seen:
                continue
            seen.add(parent_id)
            parent = self.props(parent_id)
            if parent is None:
                continue
            if parent_id in self.sources or _is_asset(parent):
                found.add(parent_id)
            elif parent.get("resource_type") == "model":  # ephemeral
                queue.extend((parent.get("depends_on") or {}).get("nodes") or ())
        return found

    def attached_node(self, test: Mapping[str, Any]) -> str | None:
        """The node a test checks: a generic test's ``attached_node``, else a singular
        test's only parent."""
        attached = test.get("attached_node")
        if attached:
            return str(attached)
        parents = self.upstream(test)
        return next(iter(parents)) if len(parents) == 1 else None


def build_specs(
    manifest: Mapping[str, Any], translator: FloeDagsterTranslator | None = None
) -> FloeSpecs:
    """Every model, seed and snapshot as an :class:`AssetSpec`, sources as external specs, and
    the dbt tests attached to an asset as :class:`AssetCheckSpec`."""
    translator = translator or FloeDagsterTranslator()
    graph = _Graph(manifest)
    adapter_type = (manifest.get("metadata") or {}).get("adapter_type")
    key_of: dict[str, AssetKey] = {}
    for unique_id, props in [*graph.nodes.items(), *graph.sources.items()]:
        if unique_id in graph.sources or _is_asset(props):
            key_of[unique_id] = translator.get_asset_key(props)
    _check_unique_keys(graph, key_of)

    def spec(props: Mapping[str, Any], deps: list[AssetDep]) -> AssetSpec:
        return AssetSpec(
            key=key_of[props["unique_id"]],
            deps=deps,
            description=translator.get_description(props),
            metadata={
                **translator.get_metadata(props),
                SELECTOR_METADATA_KEY: _selector(props),
            },
            group_name=translator.get_group_name(props),
            code_version=translator.get_code_version(props),
            owners=translator.get_owners(props),
            tags=translator.get_tags(props),
            kinds=translator.get_kinds(props, adapter_type),
        )

    assets = [
        spec(props, [AssetDep(key_of[parent]) for parent in sorted(graph.upstream(props))])
        for unique_id, props in sorted(graph.nodes.items())
        if unique_id in key_of
    ]
    sources = [spec(props, []) for _, props in sorted(graph.sources.items())]
    checks: dict[str, AssetCheckSpec] = {}
    for _, props in sorted(graph.nodes.items()):
        if props.get("resource_type") != "test":
            continue
        attached = graph.attached_node(props)
        if attached is None or attached in graph.sources or attached not in key_of:
            continue  # sources are not materialized here, so their tests never run with them
        check = translator.get_asset_check_spec(
            props,
            key_of[attached],
            [key_of[parent] for parent in sorted(graph.upstream(props)) if parent in key_of],
        )
        check = check.with_metadata({**check.metadata, SELECTOR_METADATA_KEY: _selector(props)})
        checks[check.get_python_identifier()] = check
    return FloeSpecs(assets=assets, sources=sources, checks=list(checks.values()))


def _check_unique_keys(graph: _Graph, key_of: Mapping[str, AssetKey]) -> None:
    by_key: dict[AssetKey, list[str]] = {}
    for unique_id, key in key_of.items():
        by_key.setdefault(key, []).append(unique_id)
    clashes = {key: ids for key, ids in by_key.items() if len(ids) > 1}
    if clashes:
        lines = [
            f"{key.to_user_string()}: "
            + ", ".join(
                f"{uid} ({(graph.props(uid) or {}).get('original_file_path')})" for uid in ids
            )
            for key, ids in clashes.items()
        ]
        raise ProjectError(
            "several dbt resources map to one Dagster asset key: " + "; ".join(lines),
            hint="give one of them meta.dagster.asset_key, or override get_asset_key in a"
            " FloeDagsterTranslator subclass",
        )
