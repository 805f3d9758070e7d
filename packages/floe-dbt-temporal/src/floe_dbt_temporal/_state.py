"""``--state`` and ``--defer`` on Temporal: the state travels by reference, never by path.

floe core resolves ``--state REF`` on the client (a run id, ``latest``, ``latest:TARGET``
from the results store, or a folder) into a local folder. The client puts that folder's
files into the runtime's ``artifact_store`` (the store every worker already shares, so a
worker needs no access to the results store or the client's disk) under the run's prefix,
and sends their references (key, URI, SHA-256). Each worker fetches them once per run into
``<work_dir>/state/<run id>/``, checked against their hashes, and gives that folder to dbt
as ``--state``: the plan activity applies the state selectors and every node activity
compiles against the same deferred relations.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from floe_core import ConfigError, DBTInvocation
from floe_core.artifacts import STATE_FILES
from floe_core.stores import ArtifactStore
from floe_dbt_temporal._models import StateFiles
from floe_dbt_temporal._object_store import read_artifact

__all__ = ["fetch_state", "upload_state"]


def upload_state(invocation: DBTInvocation, store: ArtifactStore) -> StateFiles | None:
    """The invocation's state folder put in ``store`` for the workers (``None``: no state)."""
    state = invocation.state
    if state is None:
        return None
    if state.path is None or not (state.path / "manifest.json").is_file():
        raise ConfigError(f"--state {state.ref}: no manifest.json to send to the workers")
    files = {
        name: store.put(
            f"runs/{invocation.invocation_id}/state/{name}", (state.path / name).read_bytes()
        )
        for name in STATE_FILES
        if (state.path / name).is_file()
    }
    return StateFiles(ref=state.ref, files=files, defer=state.defer)


def fetch_state(state: StateFiles, store: ArtifactStore, folder: Path) -> Path:
    """``folder`` holding the state's files, fetched from ``store`` unless already there."""
    if (folder / "manifest.json").is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    # Node activities of one run may fetch at once: each into its own folder, first wins.
    partial = Path(tempfile.mkdtemp(prefix=f"{folder.name}.", dir=folder.parent))
    for name, ref in state.files.items():
        (partial / name).write_bytes(read_artifact(store, ref))
    try:
        partial.replace(folder)  # whole or not at all
    except OSError:
        if not (folder / "manifest.json").is_file():
            raise
        shutil.rmtree(partial, ignore_errors=True)
    return folder
