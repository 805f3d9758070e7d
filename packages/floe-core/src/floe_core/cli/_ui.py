"""``floe ui``: the read-only workbench over the manifest's artifact store, in the browser."""

from __future__ import annotations

from pathlib import Path

import click

from floe_core.cli._options import logging_options
from floe_core.cli._runs import _history, _manifest_option, _project_option
from floe_core.ui import PlanSelector, UIServer, Workbench

__all__ = ["COMMANDS", "ui"]


@click.command()
@_manifest_option
@_project_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8765, show_default=True, help="0: any."
)
@click.option(
    "--token",
    envvar="FLOE_UI_TOKEN",
    help="Required on every API call (Bearer header or ?token=); required off loopback.",
)
@logging_options
def ui(
    manifest_path: Path | None, project_name: str | None, host: str, port: int, token: str | None
) -> None:
    """Serve a web page and JSON API over the runs, models and lineage in the store."""
    history, project = _history(manifest_path, project_name)
    selector = PlanSelector(manifest_path)
    workbench = Workbench(history.store, project, select=selector)
    server = UIServer(workbench, host=host, port=port, token=token)
    # The token is a secret: named, never printed.
    suffix = "/?token=<the --token value>" if token else "/"
    click.echo(f"floe ui: runs of {project} in {history.store.url}")
    click.echo(f"serving on {server.url}{suffix}  (Ctrl-C stops)")
    try:
        server.serve_forever()
    finally:
        server.close()
        selector.close()


COMMANDS = [ui]
