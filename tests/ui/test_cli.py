"""``floe ui`` as a user starts it: the installed console script serving the manifest's store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

FLOE = Path(sys.executable).parent / "floe"

pytestmark = pytest.mark.slow


def test_floe_ui_serves_the_runs_of_the_manifests_store(
    shop_results: Path, shop_run_id: str
) -> None:
    process = subprocess.Popen(
        [str(FLOE), "ui", "--port", "0"],
        cwd=shop_results.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith("floe ui: runs of shop in file://")
        serving = process.stdout.readline()
        url = serving.split()[2].rstrip("/")
        assert url.startswith("http://127.0.0.1:")
        runs = httpx.get(f"{url}/api/runs", timeout=10).json()["runs"]
        assert [run["invocation_id"] for run in runs] == [shop_run_id]
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_floe_ui_refuses_to_serve_beyond_loopback_without_a_token(shop_results: Path) -> None:
    environment = {key: value for key, value in os.environ.items() if key != "FLOE_UI_TOKEN"}
    result = subprocess.run(
        [str(FLOE), "ui", "--host", "0.0.0.0", "--port", "0"],
        cwd=shop_results.parent,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "on 0.0.0.0 without a token" in result.stderr
    assert "hint: pass --token (or set FLOE_UI_TOKEN), or bind to 127.0.0.1" in result.stderr
