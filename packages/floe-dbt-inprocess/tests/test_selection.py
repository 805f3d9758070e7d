"""list_unique_ids: exactly what ``dbt ls`` selects, from the parsed manifest, no dbtRunner."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from floe_dbt_inprocess import dbt_args, invoke_dbt, list_unique_ids
from floe_dbt_inprocess._errors import floe_error_from_dbt

from .conftest import copy_shop

pytestmark = pytest.mark.slow

SELECTIONS: list[dict[str, Any]] = [
    {},
    {"select": ("stg_orders+",)},
    {"select": ("+customers",), "exclude": ("resource_type:test",)},
    {"select": ("@orders",)},
    {"select": ("tag:nightly",)},
    {"select": ("tag:nightly+", "path:models/staging"), "exclude": ("stg_payments",)},
    {"select": ("config.materialized:view", "orders"), "exclude": ("tag:nightly",)},
    {"selector": "finance"},
    {"select": ("state:modified+",), "state": True},
    {"select": ("state:new",), "state": True},
]


def _locations(root: Path, project: Path, profiles: Path) -> dict[str, Any]:
    return {
        "project_dir": project,
        "profiles_dir": profiles,
        "log_path": root / "logs",
        "target_path": root / "target",
    }


@pytest.fixture(scope="module")
def parsed(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Any]:
    """The shop with a tag, a state (manifest before an edit), then edited and parsed."""
    root = tmp_path_factory.mktemp("selection")
    project, profiles = copy_shop(root)
    config = project / "dbt_project.yml"
    config.write_text(
        config.read_text().replace(
            "      +materialized: table", "      +materialized: table\n      +tags: [nightly]"
        ),
        encoding="utf-8",
    )
    common = _locations(root, project, profiles)
    first = invoke_dbt(dbt_args("parse", **common))
    assert first.success, first.exception
    state = root / "state"
    state.mkdir()
    shutil.copy(root / "target" / "manifest.json", state / "manifest.json")
    orders = project / "models" / "marts" / "orders.sql"
    orders.write_text(orders.read_text() + "\n-- edited\n", encoding="utf-8")
    (project / "models" / "marts" / "brand_new.sql").write_text(
        "select * from {{ ref('orders') }}\n", encoding="utf-8"
    )
    second = invoke_dbt(dbt_args("parse", **common))
    assert second.success, second.exception
    return {**common, "state_path": state}, second.result


def _args(common: dict[str, Any], selection: dict[str, Any], *extra: str) -> list[str]:
    options = {key: value for key, value in common.items() if key != "state_path"}
    options.update({key: value for key, value in selection.items() if key != "state"})
    if selection.get("state"):
        options["state"] = common["state_path"]
    return dbt_args("ls", **options, extra=extra)


@pytest.mark.parametrize("selection", SELECTIONS, ids=json.dumps)
def test_the_same_nodes_as_dbt_ls(parsed: tuple[dict[str, Any], Any], selection: dict[str, Any]):
    common, manifest = parsed
    listed = invoke_dbt(
        [
            *_args(common, selection, "--output", "json", "--output-keys", "unique_id"),
            "--no-write-json",
        ],
        manifest=manifest,
    )
    assert listed.success, listed.exception
    expected = sorted(json.loads(line)["unique_id"] for line in listed.result)
    assert expected, "a selection of the test that selects nothing proves little"
    assert list_unique_ids(_args(common, selection), manifest) == expected


def test_an_unknown_selector_is_dbts_error_with_its_name(parsed: tuple[dict[str, Any], Any]):
    common, manifest = parsed
    with pytest.raises(Exception, match="no_such_selector") as raised:
        list_unique_ids(_args(common, {"selector": "no_such_selector"}), manifest)
    error = floe_error_from_dbt(raised.value, project_dir=common["project_dir"], action="dbt ls")
    assert "no_such_selector" in error.message


def test_a_cycle_is_dbts_error_naming_it(tmp_path: Path) -> None:
    project, profiles = copy_shop(tmp_path)
    marts = project / "models" / "marts"
    (marts / "loop_a.sql").write_text("select * from {{ ref('loop_b') }}\n", encoding="utf-8")
    (marts / "loop_b.sql").write_text("select * from {{ ref('loop_a') }}\n", encoding="utf-8")
    common = _locations(tmp_path, project, profiles)
    parsed = invoke_dbt(dbt_args("parse", **common))
    assert parsed.success, parsed.exception  # dbt's parse does not look for cycles
    with pytest.raises(RuntimeError, match=r"Found a cycle: model\.shop\.loop_"):
        list_unique_ids(dbt_args("ls", **common), parsed.result)
