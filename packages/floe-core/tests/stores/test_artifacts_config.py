"""The manifest's ``artifacts`` section: which store, checked at load time, opened on demand."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from floe_core import ManifestError, SecretError
from floe_core.manifest import PlatformManifest, parse_manifest
from floe_core.stores import LocalArtifactStore, ObjectArtifactStore, open_artifact_store

HEADER = """\
apiVersion: floe.dev/v1
kind: PlatformManifest
plugins:
  dbt_runtime:
    type: local
"""


def manifest(body: str, tmp_path: Path) -> PlatformManifest:
    return parse_manifest(
        HEADER + textwrap.dedent(body), source_path=tmp_path / "platform-manifest.yaml"
    )


def error(body: str, tmp_path: Path) -> ManifestError:
    with pytest.raises(ManifestError) as caught:
        manifest(body, tmp_path)
    return caught.value


def test_the_default_store_is_the_local_folder_next_to_the_manifest(tmp_path: Path) -> None:
    store = open_artifact_store(manifest("", tmp_path))
    assert isinstance(store, LocalArtifactStore)
    assert store.root == tmp_path.resolve() / ".floe/artifacts"


def test_an_s3_store_resolves_its_credentials_from_the_environment_when_opened(
    tmp_path: Path,
    s3_url: str,
    s3_options: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaded = manifest(
        f"""
        artifacts:
          type: s3
          url: {s3_url}
          options:
            endpoint: {s3_options["endpoint"]}
            region: us-east-1
            access_key_id: ${{env:FLOE_TEST_KEY_ID}}
            secret_access_key: ${{env:FLOE_TEST_SECRET}}
            allow_http: true
          retention: {{keep_last: 5, keep_days: 7}}
        """,
        tmp_path,
    )
    assert loaded.artifacts.retention.keep_last == 5
    with pytest.raises(SecretError, match=r"artifacts\.options\.access_key_id: .*FLOE_TEST_KEY_ID"):
        open_artifact_store(loaded)

    monkeypatch.setenv("FLOE_TEST_KEY_ID", "testing")
    monkeypatch.setenv("FLOE_TEST_SECRET", "testing")
    store = open_artifact_store(loaded)
    assert isinstance(store, ObjectArtifactStore)
    store.put("shop/x.json", b"{}")
    assert store.url == s3_url
    assert store.list("shop") == ["shop/x.json"]


@pytest.mark.parametrize(
    ("body", "located", "message", "hint"),
    [
        (
            "artifacts: {type: s3}",
            "platform-manifest.yaml:6: artifacts.url",
            "an object store needs 'url'",
            "add `url: s3://bucket/prefix` under artifacts",
        ),
        (
            "artifacts: {type: gcs, url: s3://bucket/floe}",
            "platform-manifest.yaml:6: artifacts.url",
            "the url does not match type gcs",
            "write the url as gs://bucket/prefix",
        ),
        (
            "artifacts: {url: s3://bucket/floe}",
            "platform-manifest.yaml:6: artifacts.url",
            "'url' is for object storage; a local store uses 'path'",
            "remove 'url', or set `type:` to s3, gcs or azure",
        ),
        (
            "artifacts: {type: azure, url: 'az://acct/c', path: runs}",
            "platform-manifest.yaml:6: artifacts",
            "'path' is for a local store; an object store (azure) uses 'url'",
            "remove 'path' and keep 'url'",
        ),
        (
            "artifacts: {retention: {keep_last: 0}}",
            "platform-manifest.yaml:6: artifacts.retention.keep_last",
            "Input should be greater than or equal to 1",
            "use a value >= 1",
        ),
    ],
)
def test_a_wrong_section_is_located_and_says_how_to_fix_it(
    tmp_path: Path, body: str, located: str, message: str, hint: str
) -> None:
    problem = error(body, tmp_path)
    assert str(problem).startswith(f"{tmp_path / located}: {message}"), str(problem)
    assert problem.hint == hint


def test_a_plain_text_credential_is_refused_without_echoing_it(tmp_path: Path) -> None:
    problem = error(
        """
        artifacts:
          type: s3
          url: s3://bucket/floe
          options: {secret_access_key: hunter2-very-secret}
        """,
        tmp_path,
    )
    assert "option 'secret_access_key' is a credential" in str(problem)
    assert problem.hint == "write `secret_access_key: ${env:SECRET_ACCESS_KEY}`"
    assert "hunter2" not in str(problem)
