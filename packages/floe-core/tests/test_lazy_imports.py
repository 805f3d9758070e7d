"""Reading a manifest or starting the CLI must not pay for SDKs that only observers need."""

from __future__ import annotations

import subprocess
import sys

import floe_core.lineage
import floe_core.tracing


def _loaded_after(imports: str, prefixes: tuple[str, ...]) -> list[str]:
    """The modules starting with ``prefixes`` a fresh interpreter has after ``imports``."""
    listing = f"print(','.join(m for m in sys.modules if m.startswith({prefixes!r})))"
    probe = f"import sys; {imports}; {listing}"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return [m for m in done.stdout.strip().split(",") if m]


def test_cli_and_manifest_do_not_import_the_lineage_and_tracing_sdks() -> None:
    sdks = ("openlineage.client", "opentelemetry.sdk")
    assert _loaded_after("import floe_core.cli, floe_core.manifest", sdks) == []


HEAVY = ("pydantic", "structlog", "rich", "yaml", "pluggy", "temporalio", "dbt", "floe_dbt_")
"""Top-level packages (or prefixes) `floe --help` must not import."""
HEAVY_FLOE = ("floe_core.api", "floe_core.manifest", "floe_core.registry")


def _imported_by(*argv: str) -> list[str]:
    """The heavy modules ``floe *argv`` imports (run in a fresh interpreter)."""
    probe = (
        "import sys\n"
        "from floe_core.cli import main\n"
        f"sys.argv = ['floe', *{argv!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write('\\nMODULES ' + ','.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    modules = done.stderr.rsplit("MODULES ", 1)[1].split(",")
    return [m for m in modules if m.startswith(HEAVY) or m.startswith(HEAVY_FLOE)]


def test_floe_help_imports_only_click_and_the_command_table() -> None:
    assert _imported_by("--help") == []


def test_floe_plugins_list_reads_metadata_without_runtimes_pydantic_or_structlog() -> None:
    imported = _imported_by("plugins", "list")
    assert "floe_core.registry" in imported  # the probe sees what the command does
    heavy = (
        "floe_dbt_",
        "temporalio",
        "dbt",
        "pydantic",
        "yaml",
        "floe_core.manifest",
        "structlog",
    )
    assert [m for m in imported if m.startswith(heavy)] == []


def test_lazy_names_resolve_on_first_use() -> None:
    assert callable(floe_core.lineage.create_lineage_observer)
    assert callable(floe_core.tracing.create_tracing_observer)
    assert set(floe_core.lineage.__all__) <= set(dir(floe_core.lineage)) | set(
        floe_core.lineage._LAZY
    )


def test_floe_plan_and_the_api_load_neither_rich_nor_structlog() -> None:
    # a plan answered from the runtime's cache is mostly imports: these two were ~0.7 s of it
    imports = "import floe_core.cli._plan, floe_core.artifacts, floe_core.plugins;" + (
        "from floe_core.api import Floe"
    )
    assert _loaded_after(imports, ("rich", "structlog")) == []
