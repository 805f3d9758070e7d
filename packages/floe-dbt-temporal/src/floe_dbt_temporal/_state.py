"""``--state`` and ``--defer`` on Temporal: the state travels by reference, never by path.

floe core resolves ``--state REF`` on the client (a run id, ``latest``, ``latest:TARGET``
from the results store, or a folder) into a local folder. The client puts that folder's
files into the runtime's ``artifact_store`` (the store every worker already shares, so a
worker needs no access to the results store or the client's disk) under the run's prefix,
and sends their references (key, URI, SHA-256). Each worker fetches them once per run into
``<work_dir>/state/<run id>/``, checked against their hashes, and gives that folder to dbt
as ``--state``: the plan activity applies the state selectors and every node activity
compiles against the same deferred relations.

``--favor-state``: dbt favours a parent's state relation when the parent is not in the run's
selection, which it reads from a process-wide global (``dbt.selected_resources``) a worker
executing one node at a time cannot hold for the whole run. The node activities defer
instead to a copy of the state's manifest without the run's own nodes
(:func:`favored_state`, once per run in ``<work_dir>/state/<run id>/favor/``): the run's
nodes get no state relation (they are built in the run's target), every other parent has
one and ``--favor-state`` uses it even where the target has its own relation.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Callable, Collection
from pathlib import Path

from floe_core import ConfigError, DBTInvocation, ExecutionPlan
from floe_core.artifacts import STATE_FILES
from floe_core.stores import ArtifactStore, StoredArtifact
from floe_dbt_temporal._models import StateFiles
from floe_dbt_temporal._object_store import read_artifact

__all__ = ["favored_state", "fetch_state", "upload_state", "without_nodes"]


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
    return StateFiles(ref=state.ref, files=files, defer=state.defer, favor_state=state.favor_state)


def fetch_state(state: StateFiles, store: ArtifactStore, folder: Path) -> Path:
    """``folder`` holding the state's files, fetched from ``store`` unless already there."""

    def write(partial: Path) -> None:
        for name, ref in state.files.items():
            (partial / name).write_bytes(read_artifact(store, ref))

    return _written_once(folder, write)


def without_nodes(manifest: bytes, unique_ids: Collection[str]) -> bytes:
    """A manifest.json with ``unique_ids`` left out of its ``nodes`` (dbt then gives them no
    deferred relation)."""
    data = json.loads(manifest)
    leave = set(unique_ids)
    data["nodes"] = {uid: node for uid, node in data["nodes"].items() if uid not in leave}
    return json.dumps(data).encode()


def favored_state(
    state: StateFiles, store: ArtifactStore, plan: StoredArtifact, folder: Path
) -> Path:
    """``folder`` holding the state's manifest without the plan's nodes (``--favor-state``
    on one node at a time), derived once per run from the state fetched next to it."""
    if (folder / "manifest.json").is_file():
        return folder
    full = fetch_state(state, store, folder.parent)
    unique_ids = ExecutionPlan.model_validate_json(read_artifact(store, plan)).unique_ids

    def write(partial: Path) -> None:
        manifest = (full / "manifest.json").read_bytes()
        (partial / "manifest.json").write_bytes(without_nodes(manifest, unique_ids))

    return _written_once(folder, write)


def _written_once(folder: Path, write: Callable[[Path], None]) -> Path:
    """``folder`` as ``write`` fills it, unless its manifest.json is already there."""
    if (folder / "manifest.json").is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    # Node activities of one run may fetch at once: each into its own folder, first wins.
    partial = Path(tempfile.mkdtemp(prefix=f"{folder.name}.", dir=folder.parent))
    write(partial)
    try:
        partial.replace(folder)  # whole or not at all
    except OSError:
        if not (folder / "manifest.json").is_file():
            raise
        shutil.rmtree(partial, ignore_errors=True)
    return folder
