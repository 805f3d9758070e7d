"""The runtime registry, driven by hand-made entry points (nothing installed)."""

from __future__ import annotations

import sys
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import ClassVar

import pytest

from floe_core import (
    EventBus,
    PluginAPIVersionError,
    PluginConfigError,
    PluginError,
    PluginNotFoundError,
    SecretError,
)
from floe_core.manifest import load_manifest, parse_manifest
from floe_core.registry import ENTRY_POINT_GROUP, PluginRegistry, RuntimeEntry
from floe_core.testing import ScriptedConfig, ScriptedRuntime

SECRET = "tok-Secret-value-never-shown"
MODULE = "floe_registry_test_runtimes"
"""The name entry points import this module by (its own name has dashes, as its path)."""


@pytest.fixture(autouse=True)
def importable_by_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, MODULE, sys.modules[__name__])


class FakeRuntime(ScriptedRuntime):
    name = "fake"


class FutureRuntime(FakeRuntime):
    api_version: ClassVar[str] = "1.9"


class NextMajorRuntime(FakeRuntime):
    api_version: ClassVar[str] = "2.0"


def point(name: str, target: str) -> EntryPoint:
    return EntryPoint(name, target, ENTRY_POINT_GROUP)


def registry(*points: EntryPoint) -> PluginRegistry:
    return PluginRegistry([point("fake", f"{MODULE}:FakeRuntime"), *points])


def test_available_lists_without_importing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "floe_lazy_probe.py").write_text("Runtime = None\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "floe_lazy_probe", raising=False)
    probe = point("probe", "floe_lazy_probe:Runtime")
    other_group = EntryPoint("ignored", f"{MODULE}:FakeRuntime", "other.group")
    plugins = registry(probe, other_group)

    assert plugins.available() == [
        RuntimeEntry(name="fake", value=f"{MODULE}:FakeRuntime", distribution=None, version=None),
        RuntimeEntry(
            name="probe", value="floe_lazy_probe:Runtime", distribution=None, version=None
        ),
    ]
    assert "floe_lazy_probe" not in sys.modules
    with pytest.raises(PluginError, match="is not a DBTRuntimePlugin subclass"):
        plugins.load_class("probe")
    assert "floe_lazy_probe" in sys.modules


def test_load_class_and_create() -> None:
    plugins = registry()
    assert plugins.load_class("fake") is FakeRuntime
    bus = EventBus()
    runtime = plugins.create("fake", {"threads": 3}, events=bus)
    assert isinstance(runtime, FakeRuntime)
    assert runtime.config == ScriptedConfig(threads=3)
    assert runtime.events is bus


def test_runtimes_where_names_the_installed_runtimes_passing_the_test() -> None:
    # what a refusal of --state / --favor-state names as the runtimes to use instead
    registry = PluginRegistry()
    assert registry.runtimes_where(lambda runtime: runtime.supports_state) == ["local", "temporal"]
    assert "cloud" in registry.runtimes_where(lambda runtime: not runtime.supports_state)


def test_known_runtime_not_installed_names_its_distribution() -> None:
    with pytest.raises(PluginNotFoundError) as info:
        registry().load_class("cloud")
    assert "runtime 'cloud' is not installed" in info.value.message
    assert "installed runtimes: fake" in info.value.message
    assert "install the distribution floe-dbt-cloud" in (info.value.hint or "")


def test_unknown_runtime_lists_the_choices() -> None:
    with pytest.raises(PluginNotFoundError) as info:
        registry().load_class("lokal")
    assert "installed runtimes: fake" in info.value.message
    assert "cloud, fake, local, temporal" in (info.value.hint or "")


def test_import_error_names_entry_point() -> None:
    plugins = registry(point("broken", "floe_no_such_module_anywhere:Runtime"))
    with pytest.raises(PluginError) as info:
        plugins.load_class("broken")
    assert "floe_no_such_module_anywhere:Runtime" in info.value.message
    assert isinstance(info.value.__cause__, ModuleNotFoundError)


@pytest.mark.parametrize(
    ("runtime", "declared"), [("FutureRuntime", "1.9"), ("NextMajorRuntime", "2.0")]
)
def test_incompatible_api_version(runtime: str, declared: str) -> None:
    with pytest.raises(PluginAPIVersionError) as info:
        registry(point("versioned", f"{MODULE}:{runtime}")).load_class("versioned")
    assert f"API '{declared}'" in info.value.message
    assert "provides API 1.0" in info.value.message


def test_a_runtime_declaring_no_api_version_is_refused() -> None:
    # DBTRuntimePlugin has no default: a subclass that declares none inherits none.
    with pytest.raises(PluginAPIVersionError) as info:
        registry(point("bare", "floe_core:DBTRuntimePlugin")).load_class("bare")
    assert "declares no floe plugin API version" in info.value.message
    assert "provides API 1.0" in info.value.message
    assert 'api_version = "1.0"' in (info.value.hint or "")


def test_same_name_from_two_packages_is_ambiguous() -> None:
    plugins = registry(point("fake", f"{MODULE}:FutureRuntime"))
    with pytest.raises(PluginError) as info:
        plugins.load_class("fake")
    assert "several installed packages" in info.value.message


def test_config_error_names_field_type_and_location() -> None:
    with pytest.raises(PluginConfigError) as info:
        registry().validate_config("fake", {"threads": "many"}, location="m.yaml")
    message = str(info.value)
    assert "m.yaml: plugins.dbt_runtime.config.threads" in message
    assert info.value.hint == "expected an integer, got a string"


def test_config_errors_are_located_in_the_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOE_TEST_THREADS", SECRET)
    manifest = parse_manifest(
        "apiVersion: floe.dev/v1\nkind: PlatformManifest\nplugins:\n  dbt_runtime:\n"
        "    type: fake\n    config:\n      threads: ${env:FLOE_TEST_THREADS}\n      tread: 1\n",
        source_path=tmp_path / "platform-manifest.yaml",
    )
    with pytest.raises(PluginConfigError) as info:
        registry().create_from_manifest(manifest)
    message = str(info.value)
    assert f"{tmp_path}/platform-manifest.yaml:7: plugins.dbt_runtime.config.threads" in message
    assert f"{tmp_path}/platform-manifest.yaml:8: plugins.dbt_runtime.config.tread" in message
    assert "did you mean 'threads'?" in message
    assert SECRET not in message


def test_config_secrets_are_resolved(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOE_TEST_TOKEN", SECRET)
    config = registry().validate_config("fake", {"token": "${env:FLOE_TEST_TOKEN}"})
    assert config == ScriptedConfig(token=SECRET)
    monkeypatch.delenv("FLOE_TEST_TOKEN")
    with pytest.raises(SecretError) as info:
        registry().validate_config("fake", {"token": "${env:FLOE_TEST_TOKEN}"})
    assert "plugins.dbt_runtime.config.token" in str(info.value)
    assert "FLOE_TEST_TOKEN" in str(info.value)


def test_unknown_runtime_in_manifest_is_located(tmp_path: Path) -> None:
    manifest = parse_manifest(
        "apiVersion: floe.dev/v1\nkind: PlatformManifest\nplugins:\n  dbt_runtime:\n"
        "    type: temporal\n",
        source_path=tmp_path / "m.yaml",
    )
    with pytest.raises(PluginNotFoundError) as info:
        registry().create_from_manifest(manifest)
    assert info.value.message.startswith(f"{tmp_path}/m.yaml:5: runtime 'temporal'")
    assert "floe-dbt-temporal" in (info.value.hint or "")


def test_installed_local_runtime_is_discovered_and_built_from_the_repository_manifest() -> None:
    plugins = PluginRegistry()
    entries = {entry.name: entry for entry in plugins.available()}
    local = entries["local"]
    assert local.value == "floe_dbt_local:LocalRuntime"
    assert local.distribution == "floe-dbt-local"
    assert local.version

    manifest = load_manifest(Path(__file__).resolve().parents[4] / "platform-manifest.yaml")
    with plugins.create_from_manifest(manifest) as runtime:
        assert runtime.name == "local"
        assert type(runtime) is plugins.load_class("local")
