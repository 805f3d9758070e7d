"""docs/manifest-reference.md is generated from floe_core.manifest and must match it."""

from __future__ import annotations

import importlib.util
from pathlib import Path

GENERATOR = Path(__file__).parents[2] / "docs" / "generate_manifest_reference.py"


def test_committed_manifest_reference_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("generate_manifest_reference", GENERATOR)
    assert spec is not None
    assert spec.loader is not None
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)

    expected = generator.render()

    assert "| `host` | string (non-empty) | **required** |" in expected
    assert generator.REFERENCE.read_text(encoding="utf-8") == expected, (
        "docs/manifest-reference.md is stale: run"
        " .venv/bin/python docs/generate_manifest_reference.py and commit the result"
    )
