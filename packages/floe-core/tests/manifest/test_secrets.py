"""Secret references: validated without values, resolved late, never echoed."""

from __future__ import annotations

from pathlib import Path

import pytest

from floe_core import ManifestError, SecretError
from floe_core.manifest import load_manifest, missing_secrets, resolve_secret_refs

SECRET = "s3cr3t-Value-that-must-not-leak"

MANIFEST = """\
apiVersion: floe.dev/v1
kind: PlatformManifest
plugins:
  dbt_runtime:
    type: cloud
    config: {token: "${env:FLOE_TEST_TOKEN}", url: "https://${env:FLOE_TEST_HOST}/api"}
compute:
  type: postgres
  config:
    host: db
    user: floe
    password: PASSWORD
    dbname: shop
"""


def write(tmp_path: Path, password: str) -> Path:
    path = tmp_path / "platform-manifest.yaml"
    path.write_text(MANIFEST.replace("PASSWORD", password), encoding="utf-8")
    return path


def test_plain_text_password_is_rejected_without_echoing_it(tmp_path: Path) -> None:
    path = write(tmp_path, SECRET)
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    error = info.value
    assert error.location == f"{path}:12"
    assert error.field == "compute.config.password"
    assert error.hint is not None
    assert "${env:" in error.hint
    assert SECRET not in str(error)
    assert SECRET not in repr(error.args)


def test_malformed_yaml_on_a_secret_line_does_not_quote_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, f'"{SECRET}')
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert "not valid YAML" in info.value.message
    assert SECRET not in str(info.value)


def test_malformed_reference_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "${ENV:PG_PASSWORD}")
    with pytest.raises(ManifestError) as info:
        load_manifest(path)
    assert info.value.location == f"{path}:12"
    assert info.value.field == "compute.config.password"
    assert "${env:NAME}" in (info.value.hint or "")


def test_manifest_loads_without_its_secrets_and_lists_the_missing_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("FLOE_TEST_TOKEN", "FLOE_TEST_HOST", "FLOE_TEST_PG"):
        monkeypatch.delenv(name, raising=False)
    manifest = load_manifest(write(tmp_path, "${env:FLOE_TEST_PG}"))
    assert missing_secrets(manifest) == [
        ("plugins.dbt_runtime.config.token", "FLOE_TEST_TOKEN"),
        ("plugins.dbt_runtime.config.url", "FLOE_TEST_HOST"),
        ("compute.config.password", "FLOE_TEST_PG"),
    ]
    monkeypatch.setenv("FLOE_TEST_TOKEN", SECRET)
    monkeypatch.setenv("FLOE_TEST_HOST", "example.com")
    monkeypatch.setenv("FLOE_TEST_PG", SECRET)
    assert missing_secrets(manifest) == []


def test_resolve_secret_refs_recursively(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOE_TEST_TOKEN", SECRET)
    monkeypatch.setenv("FLOE_TEST_HOST", "example.com")
    value = {
        "token": "${env:FLOE_TEST_TOKEN}",
        "urls": ["https://${env:FLOE_TEST_HOST}/a", "plain"],
        "retries": 3,
    }
    assert resolve_secret_refs(value, field="cfg") == {
        "token": SECRET,
        "urls": ["https://example.com/a", "plain"],
        "retries": 3,
    }


def test_unset_secret_names_field_and_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOE_TEST_TOKEN", SECRET)
    monkeypatch.delenv("FLOE_TEST_UNSET", raising=False)
    value = {"a": "${env:FLOE_TEST_TOKEN}", "b": ["${env:FLOE_TEST_UNSET}"]}
    with pytest.raises(SecretError) as info:
        resolve_secret_refs(value, field="plugins.dbt_runtime.config")
    message = str(info.value)
    assert "plugins.dbt_runtime.config.b[0]" in message
    assert "FLOE_TEST_UNSET" in message
    assert SECRET not in message
