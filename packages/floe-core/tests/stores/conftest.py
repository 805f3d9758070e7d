"""An S3 server on loopback (moto) for the session, and a fresh store per test on it or on disk."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from floe_core import (
    DBTCommand,
    DBTInvocation,
    DBTRunResult,
    GeneratedProfile,
    NodeFinished,
    NodeResult,
    NodeStatus,
    RunFinished,
    RunStarted,
    RunStatus,
)
from floe_core.artifacts import ResultsStore
from floe_core.stores import ArtifactStore, LocalArtifactStore, ObjectArtifactStore
from floe_core.testing import S3Server

BUCKET = "floe-artifacts"


@pytest.fixture(scope="session")
def s3_endpoint(s3_server: S3Server) -> str:
    s3_server.create_bucket(BUCKET)
    return s3_server.endpoint


@pytest.fixture
def s3_client(s3_server: S3Server, s3_endpoint: str) -> Any:
    """boto3 on the test server, to look at the bucket behind obstore's back."""
    return s3_server.client()


@pytest.fixture
def s3_options(s3_server: S3Server, s3_endpoint: str) -> dict[str, str | bool]:
    """obstore settings for the test server, as ``artifacts.options`` would give them."""
    return s3_server.options()


@pytest.fixture
def s3_url() -> str:
    """A prefix of its own in the session's bucket."""
    return f"s3://{BUCKET}/{uuid.uuid4().hex}"


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactStore:
    if request.param == "local":
        return LocalArtifactStore(tmp_path / "artifacts")
    return ObjectArtifactStore(
        request.getfixturevalue("s3_url"), request.getfixturevalue("s3_options")
    )


def _play_run(
    writer: ResultsStore, started_at: datetime, *, artifacts_dir: Path | None = None
) -> str:
    """Feed ``writer`` the events of a finished one-node run; returns its invocation id."""
    invocation_id = str(uuid.uuid4())
    node = NodeResult(
        unique_id="model.shop.a", name="a", resource_type="model", status=NodeStatus.ERROR
    )
    manifest = artifacts_dir / "manifest.json" if artifacts_dir else None
    if manifest is not None:
        manifest.write_text('{"nodes": {}}')
    result = DBTRunResult(
        invocation_id=invocation_id,
        command=DBTCommand.BUILD,
        runtime="scripted",
        status=RunStatus.FAILED,
        started_at=started_at,
        completed_at=started_at + timedelta(seconds=2),
        elapsed_seconds=2.0,
        nodes=(node,),
        manifest_path=manifest,
    )
    writer.prepare(
        DBTInvocation(
            project_dir=Path("/nowhere"),
            profile=GeneratedProfile(outputs={"prod": {"type": "duckdb"}}),
            target="prod",
            select=("a+",),
            exclude=("b",),
            vars={"days": 1},
            invocation_id=invocation_id,
        )
    )
    for event in (
        RunStarted(
            invocation_id=invocation_id,
            command=DBTCommand.BUILD,
            runtime="scripted",
            project_name="shop",
            project_dir=Path("/nowhere"),
            started_at=started_at,
        ),
        NodeFinished(invocation_id=invocation_id, result=node),
        RunFinished(invocation_id=invocation_id, result=result),
    ):
        writer(event)
    return invocation_id


@pytest.fixture
def play_run() -> Callable[..., str]:
    """``play_run(writer, started_at, artifacts_dir=None)``: one finished run of project shop
    (one failed model) fed to a results store as a runtime would; returns its id."""
    return _play_run
