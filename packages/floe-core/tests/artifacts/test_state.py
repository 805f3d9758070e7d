"""``--state REF`` resolved against runs kept in a results store (a real local store)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from floe_core import ConfigError, DBTCommand, RunStatus
from floe_core.artifacts import RunHistory, RunRecord, find_state_run, index_key, resolve_state
from floe_core.stores import LocalArtifactStore

_START = datetime(2026, 1, 1, tzinfo=UTC)


def _keep(
    store: LocalArtifactStore,
    number: int,
    *,
    target: str | None,
    status: RunStatus = RunStatus.SUCCESS,
    command: DBTCommand = DBTCommand.BUILD,
    files: dict[str, bytes] | None = None,
) -> str:
    """A run of project shop, ``number`` minutes after the start, with its files."""
    run_id = f"run-{number}"
    files = files if files is not None else {"manifest.json": f'{{"run": {number}}}'.encode()}
    hashes = {name: store.put(f"shop/{run_id}/{name}", data).sha256 for name, data in files.items()}
    started = _START + timedelta(minutes=number)
    record = RunRecord(
        invocation_id=run_id,
        project="shop",
        command=command,
        runtime="local",
        status=status,
        started_at=started,
        completed_at=started + timedelta(seconds=30),
        elapsed_seconds=30.0,
        nodes=1,
        failures=0,
        path=run_id,
        files=hashes,
        target=target,
    )
    store.put(index_key("shop", started, run_id), record.model_dump_json().encode())
    return run_id


@pytest.fixture
def history(tmp_path: Path) -> RunHistory:
    store = LocalArtifactStore(tmp_path / "results")
    _keep(store, 1, target="prod")
    _keep(store, 2, target="dev")
    _keep(store, 3, target="prod", status=RunStatus.FAILED)
    _keep(store, 4, target="prod", command=DBTCommand.LIST)
    _keep(store, 5, target="dev", command=DBTCommand.SOURCE_FRESHNESS, files={})
    return RunHistory(store)


def test_latest_is_the_newest_successful_run_of_the_target(history: RunHistory) -> None:
    assert find_state_run(history, "shop", "latest", "prod").invocation_id == "run-1"
    assert find_state_run(history, "shop", "latest", "dev").invocation_id == "run-2"
    assert find_state_run(history, "shop", "latest:prod", "dev").invocation_id == "run-1"
    assert find_state_run(history, "shop", "latest", None).invocation_id == "run-2"


def test_a_run_id_or_its_first_characters_names_the_run(history: RunHistory) -> None:
    assert find_state_run(history, "shop", "run-3").invocation_id == "run-3"


def test_no_matching_run_is_a_config_error_saying_what_to_do(history: RunHistory) -> None:
    with pytest.raises(ConfigError) as error:
        find_state_run(history, "shop", "latest:ci")
    assert "no successful run of project 'shop' on target 'ci'" in error.value.message
    assert "floe build --target ci" in (error.value.hint or "")
    with pytest.raises(ConfigError) as unknown:
        find_state_run(history, "shop", "nope")
    assert "--state nope: neither a folder nor a run of project 'shop'" in unknown.value.message


def test_a_stored_run_is_fetched_into_a_folder_named_after_it(
    history: RunHistory, tmp_path: Path
) -> None:
    state = resolve_state(
        "latest:prod", history=history, project="shop", target=None, into=tmp_path / "s"
    )
    assert (state.run_id, state.project, state.ref) == ("run-1", "shop", "latest:prod")
    assert state.path == tmp_path / "s" / "run-1"
    assert (state.path / "manifest.json").read_text() == '{"run": 1}'


def test_a_folder_is_used_in_place_and_must_hold_a_manifest(tmp_path: Path) -> None:
    folder = tmp_path / "prod-target"
    folder.mkdir()
    with pytest.raises(ConfigError, match=r"the folder has no manifest\.json"):
        resolve_state(str(folder), history=None, project="shop", target=None, into=tmp_path)
    (folder / "manifest.json").write_text("{}")
    state = resolve_state(
        str(folder), history=None, project="shop", target=None, into=tmp_path, defer=True
    )
    assert (state.path, state.run_id, state.defer) == (folder.resolve(), None, True)
