"""An S3 server on loopback (moto) for the session, and a fresh store per test on it or on disk."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest
from moto.server import ThreadedMotoServer

from floe_core.stores import ArtifactStore, LocalArtifactStore, ObjectArtifactStore

BUCKET = "floe-artifacts"


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    _client(endpoint).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


def _client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


@pytest.fixture
def s3_client(s3_endpoint: str) -> Any:
    """boto3 on the test server, to look at the bucket behind obstore's back."""
    return _client(s3_endpoint)


@pytest.fixture
def s3_options(s3_endpoint: str) -> dict[str, str | bool]:
    """obstore settings for the test server, as ``artifacts.options`` would give them."""
    return {
        "endpoint": s3_endpoint,
        "region": "us-east-1",
        "access_key_id": "testing",
        "secret_access_key": "testing",
        "allow_http": True,
    }


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
