"""Lineage from the standard ``OPENLINEAGE_*`` variables alone, as dbt-ol users set them:
``floe build`` in a plain dbt project (no platform manifest), and a manifest that has no
``observability.lineage`` section; ``enabled: false`` in the manifest wins over them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from floe_core.manifest import PlatformManifest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "shop"
FLOE = Path(sys.executable).parent / "floe"
PROFILES = "floe:\n  target: dev\n  outputs:\n    dev: {type: duckdb, path: shop.duckdb}\n"


def _clean_environment() -> dict[str, str]:
    return {name: value for name, value in os.environ.items() if "OPENLINEAGE" not in name}


@pytest.mark.slow
def test_floe_build_without_a_manifest_sends_lineage_to_openlineage_url(
    receiver: Any, tmp_path: Path
) -> None:
    project = tmp_path / "shop"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("target", "logs"))
    (project / "profiles.yml").write_text(PROFILES, encoding="utf-8")
    environment = {
        **_clean_environment(),
        "OPENLINEAGE_URL": receiver.url,
        "OPENLINEAGE_API_KEY": "zero-config-key",
        "OPENLINEAGE_NAMESPACE": "shop-zero",
    }
    done = subprocess.run(
        [str(FLOE), "build", "--select", "+stg_orders", "--exclude", "resource_type:test"],
        cwd=project,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert not (project / "platform-manifest.yaml").exists()
    events = receiver.wait_for("/api/v1/lineage", 6)
    assert {e["job"]["namespace"] for e in events} == {"shop-zero"}
    assert {e["job"]["name"] for e in events} >= {"dbt-build-shop", "shop.main.stg_orders"}
    assert receiver.authorizations == {"Bearer zero-config-key"}
    [stg_orders] = [
        e
        for e in events
        if e["eventType"] == "COMPLETE" and e["job"]["name"].endswith("stg_orders")
    ]
    assert [o["namespace"] for o in stg_orders["outputs"]] == [
        f"duckdb://{(project / 'shop.duckdb').resolve()}"
    ]


def _manifest(observability: dict[str, Any] | None) -> PlatformManifest:
    data: dict[str, Any] = {
        "apiVersion": "floe.dev/v1",
        "kind": "PlatformManifest",
        "project": {"dir": "."},
        "plugins": {"dbt_runtime": {"type": "local"}},
        "profile": {"profiles_dir": "."},
    }
    if observability is not None:
        data["observability"] = observability
    return PlatformManifest.from_data(data, base_dir=Path.cwd())


@pytest.mark.parametrize(
    ("variables", "observability", "enabled"),
    [
        ({}, None, False),
        ({"OPENLINEAGE_URL": "http://marquez:5000"}, None, True),
        ({"OPENLINEAGE_CONFIG": "/etc/openlineage.yml"}, None, True),
        ({"OPENLINEAGE__TRANSPORT__TYPE": "console"}, None, True),
        ({"OPENLINEAGE_NAMESPACE": "only-a-namespace"}, None, False),
        ({"OPENLINEAGE_URL": "http://marquez:5000"}, {"lineage": {"naming": "dbt-ol"}}, True),
        ({"OPENLINEAGE_URL": "http://marquez:5000"}, {"lineage": {"enabled": False}}, False),
        ({}, {"lineage": {"enabled": True}}, True),
    ],
)
def test_the_manifest_decides_and_the_openlineage_variables_fill_in(
    monkeypatch: pytest.MonkeyPatch,
    variables: dict[str, str],
    observability: dict[str, Any] | None,
    enabled: bool,
) -> None:
    for name in os.environ:
        if "OPENLINEAGE" in name:
            monkeypatch.delenv(name)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert _manifest(observability).observability.lineage.enabled is enabled
