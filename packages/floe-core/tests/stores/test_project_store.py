"""Projects from a folder, git (file://, git daemon, HTTPS with a token) and S3, pinned."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from floe_core import ManifestError, ProjectError, SecretError
from floe_core.manifest import GitProjectSource, ObjectProjectSource, parse_manifest
from floe_core.stores import ObjectArtifactStore, ProjectStore, fetch_project, project_directory
from floe_core.testing import S3Server

GIT_ENV = {
    "GIT_AUTHOR_NAME": "floe",
    "GIT_AUTHOR_EMAIL": "floe@example.com",
    "GIT_COMMITTER_NAME": "floe",
    "GIT_COMMITTER_EMAIL": "floe@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def _git(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        ["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, check=True, capture_output=True
    )
    return done.stdout.decode().strip()


class Repository:
    """A working repository with a dbt project in ``dbt/``, pushed to a bare ``remote.git``."""

    def __init__(self, root: Path) -> None:
        self.work = root / "work"
        self.remote = root / "served" / "remote.git"
        self.work.mkdir()
        _git("init", "--quiet", "--initial-branch=main", cwd=self.work)
        self.remote.parent.mkdir()
        _git("init", "--quiet", "--bare", "--initial-branch=main", str(self.remote), cwd=root)

    @property
    def url(self) -> str:
        return self.remote.as_uri()

    def commit(self, model_sql: str) -> str:
        project = self.work / "dbt"
        (project / "models").mkdir(parents=True, exist_ok=True)
        (project / "dbt_project.yml").write_text("name: shop\nprofile: floe\n")
        (project / "models" / "a.sql").write_text(model_sql)
        self.git("add", "-A")
        self.git("commit", "--quiet", "-m", model_sql)
        self.git("push", "--quiet", "--tags", str(self.remote), "main")
        return self.git("rev-parse", "HEAD")

    def git(self, *args: str) -> str:
        """Run git in the working repository."""
        return _git(*args, cwd=self.work)


@pytest.fixture
def repository(tmp_path: Path) -> Repository:
    return Repository(tmp_path)


@pytest.fixture
def projects(tmp_path: Path) -> ProjectStore:
    return ProjectStore(tmp_path / "cache")


def test_a_branch_is_pinned_to_its_commit_while_it_moves_on(
    repository: Repository, projects: ProjectStore
) -> None:
    first = repository.commit("select 1 as id")
    source = GitProjectSource(type="git", url=repository.url, ref="main", subdir="dbt")
    planned = projects.resolve(source)
    assert planned == first

    repository.commit("select 2 as id")  # the branch moves during the run
    assert projects.resolve(source) != first
    checkout = projects.checkout(source, planned)  # a worker asks for what was planned
    assert (checkout / "models" / "a.sql").read_text() == "select 1 as id"
    assert checkout.name == "dbt"
    assert not (checkout.parent / ".git").exists()


def test_tags_and_commit_shas_resolve_to_commits(
    repository: Repository, projects: ProjectStore
) -> None:
    first = repository.commit("select 1 as id")
    repository.git("tag", "-a", "v1", "-m", "release")
    repository.commit("select 2 as id")

    tagged = GitProjectSource(type="git", url=repository.url, ref="v1", subdir="dbt")
    assert projects.resolve(tagged) == first  # the tag's commit, not the tag object
    by_sha = GitProjectSource(type="git", url=repository.url, ref=first, subdir="dbt")
    fetched = projects.fetch(by_sha)
    assert (fetched.path / "models" / "a.sql").read_text() == "select 1 as id"


def test_a_fetched_commit_is_served_from_the_cache(
    repository: Repository, projects: ProjectStore
) -> None:
    commit = repository.commit("select 1 as id")
    source = GitProjectSource(type="git", url=repository.url, subdir="dbt")
    first = projects.checkout(source, commit)
    repository.remote.rename(repository.remote.with_name("gone.git"))  # the server is down

    assert projects.checkout(source, commit) == first
    with pytest.raises(ProjectError, match=r"git ls-remote of file://.*remote\.git failed"):
        projects.resolve(source)


def test_a_wrong_ref_or_subdir_says_which(repository: Repository, projects: ProjectStore) -> None:
    repository.commit("select 1 as id")
    with pytest.raises(ProjectError, match="git ref 'nope' not found in file://") as caught:
        projects.resolve(GitProjectSource(type="git", url=repository.url, ref="nope"))
    assert caught.value.hint is not None
    assert "project.source.ref" in caught.value.hint

    with pytest.raises(ProjectError, match=r"dbt_project\.yml not found"):
        projects.fetch(GitProjectSource(type="git", url=repository.url, subdir="models"))


def test_workers_fetching_one_commit_at_once_share_one_checkout(
    repository: Repository, projects: ProjectStore
) -> None:
    commit = repository.commit("select 1 as id")
    source = GitProjectSource(type="git", url=repository.url, subdir="dbt")
    with ThreadPoolExecutor(max_workers=4) as pool:
        paths = set(pool.map(lambda _: projects.checkout(source, commit), range(4)))
    [path] = paths
    assert (path / "models" / "a.sql").read_text() == "select 1 as id"
    assert sorted(p.name for p in path.parent.parent.iterdir()) == [".lock", commit, "repo.git"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def git_daemon(repository: Repository) -> Iterator[str]:
    port = _free_port()
    daemon = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            "--export-all",
            "--listen=127.0.0.1",
            f"--port={port}",
            f"--base-path={repository.remote.parent}",
            str(repository.remote.parent),
        ]
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "git daemon did not start"
            time.sleep(0.05)
    yield f"git://127.0.0.1:{port}/remote.git"
    daemon.terminate()
    daemon.wait()


def test_a_project_comes_from_a_git_daemon(
    repository: Repository, projects: ProjectStore, git_daemon: str
) -> None:
    commit = repository.commit("select 1 as id")
    fetched = projects.fetch(GitProjectSource(type="git", url=git_daemon, subdir="dbt"))
    assert fetched.version == commit
    assert (fetched.path / "dbt_project.yml").is_file()


class _GitHTTP(BaseHTTPRequestHandler):
    """git's smart HTTP (``git http-backend`` as CGI) behind HTTP basic auth."""

    root: Path
    expected = "Basic " + base64.b64encode(b"x-access-token:s3cret-token").decode()

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        if self.headers.get("Authorization") != self.expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        env = {
            **os.environ,
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "REMOTE_USER": "x-access-token",
        }
        output = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=True
        ).stdout
        head, _, payload = output.partition(b"\r\n\r\n")
        headers = dict(line.split(": ", 1) for line in head.decode().split("\r\n") if line)
        self.send_response(int(headers.pop("Status", "200").split()[0]))
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def git_http(repository: Repository) -> Iterator[str]:
    handler = type("Handler", (_GitHTTP,), {"root": repository.remote.parent})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/remote.git"
    server.shutdown()
    server.server_close()


def test_an_https_token_is_taken_from_the_environment_and_never_shown(
    repository: Repository, projects: ProjectStore, git_http: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    commit = repository.commit("select 1 as id")
    source = GitProjectSource(
        type="git", url=git_http, subdir="dbt", token="${env:FLOE_TEST_GIT_TOKEN}"
    )
    with pytest.raises(SecretError, match=r"project\.source\.token"):
        projects.resolve(source)

    monkeypatch.setenv("FLOE_TEST_GIT_TOKEN", "wrong-token")
    with pytest.raises(ProjectError) as refused:
        projects.resolve(source)
    assert "wrong-token" not in str(refused.value)
    assert git_http in str(refused.value)

    monkeypatch.setenv("FLOE_TEST_GIT_TOKEN", "s3cret-token")
    fetched = projects.fetch(source)
    assert fetched.version == commit
    assert (fetched.path / "models" / "a.sql").read_text() == "select 1 as id"
    anonymous = GitProjectSource(type="git", url=git_http)
    with pytest.raises(ProjectError):
        projects.resolve(anonymous)


def test_a_local_folder_is_versioned_by_content(tmp_path: Path, projects: ProjectStore) -> None:
    folder = tmp_path / "shop"
    (folder / "models").mkdir(parents=True)
    (folder / "dbt_project.yml").write_text("name: shop\n")
    (folder / "models" / "a.sql").write_text("select 1 as id")
    version = projects.resolve(folder)
    (folder / "target").mkdir()
    (folder / "target" / "manifest.json").write_text("{}")  # build output is not the project
    assert projects.checkout(folder, version) == folder

    (folder / "models" / "a.sql").write_text("select 2 as id")
    with pytest.raises(ProjectError, match="changed since the run was planned"):
        projects.checkout(folder, version)


def test_a_project_under_an_s3_prefix_is_downloaded_once_per_version(
    tmp_path: Path,
    s3_url: str,
    s3_options: dict[str, Any],
    s3_server: S3Server,
    projects: ProjectStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bucket = ObjectArtifactStore(s3_url, s3_options)
    bucket.put("dbt_project.yml", b"name: shop\n")
    bucket.put("models/a.sql", b"select 1 as id")
    # A repository uploaded as is (dbt-labs/jaffle_shop_duckdb has both): hidden files are
    # not the project, as in a folder.
    name, _, prefix = s3_url.removeprefix("s3://").partition("/")
    for hidden in (".devcontainer.json", ".github/workflows/ci.yml"):
        s3_server.client().put_object(Bucket=name, Key=f"{prefix}/{hidden}", Body=b"{}")
    monkeypatch.setenv("FLOE_TEST_SECRET", s3_options["secret_access_key"])
    options = {**s3_options, "secret_access_key": "${env:FLOE_TEST_SECRET}"}
    source = ObjectProjectSource(type="s3", url=s3_url, options=options)

    fetched = projects.fetch(source)
    assert (fetched.path / "models" / "a.sql").read_text() == "select 1 as id"
    assert not (fetched.path / ".github").exists()

    bucket.put("models/a.sql", b"select 2 as id")
    assert projects.resolve(source) != fetched.version
    assert projects.checkout(source, fetched.version) == fetched.path  # still cached
    with pytest.raises(ProjectError, match=r"dbt project s3://.* changed since the run"):
        ProjectStore(tmp_path / "other-worker").checkout(source, fetched.version)
    newer = projects.fetch(source)
    assert (newer.path / "models" / "a.sql").read_text() == "select 2 as id"


MANIFEST_HEAD = """\
apiVersion: floe.dev/v1
kind: PlatformManifest
plugins:
  dbt_runtime: {type: local}
"""


def test_the_manifest_project_source_is_fetched_into_the_cache_next_to_it(
    repository: Repository, tmp_path: Path
) -> None:
    commit = repository.commit("select 1 as id")
    manifest = parse_manifest(
        MANIFEST_HEAD
        + f"project:\n  source: {{type: git, url: '{repository.url}', subdir: dbt}}\n",
        source_path=tmp_path / "platform-manifest.yaml",
    )
    fetched = fetch_project(manifest)
    assert fetched.version == commit
    assert fetched.path.is_relative_to(tmp_path / ".floe" / "cache" / "projects")
    assert (fetched.path / "dbt_project.yml").is_file()


def test_a_run_uses_the_fetched_source_a_plain_dir_in_place_and_an_override_first(
    repository: Repository, tmp_path: Path
) -> None:
    repository.commit("select 1 as id")
    fetched = parse_manifest(
        MANIFEST_HEAD
        + f"project:\n  source: {{type: git, url: '{repository.url}', subdir: dbt}}\n",
        source_path=tmp_path / "platform-manifest.yaml",
    )
    in_place = parse_manifest(
        MANIFEST_HEAD + "project: {dir: shop}\n", source_path=tmp_path / "platform-manifest.yaml"
    )
    checkout = project_directory(fetched)
    assert checkout.is_relative_to(tmp_path / ".floe" / "cache" / "projects")
    assert (checkout / "models" / "a.sql").read_text() == "select 1 as id"
    assert project_directory(in_place) == (tmp_path / "shop").resolve()
    assert project_directory(fetched, tmp_path / "elsewhere") == (tmp_path / "elsewhere")


@pytest.mark.parametrize(
    ("project", "message", "hint"),
    [
        (
            "{dir: shop, source: {type: git, url: 'https://example.com/a.git'}}",
            "project: set either 'dir' (a local folder) or 'source' (fetched), not both",
            "keep 'source' and give the folder inside it as `source.subdir`",
        ),
        (
            "{source: {type: git, url: 'https://bot:hunter2@example.com/a.git'}}",
            "project.source.url: the git url contains a password",
            "remove it from the url and set `token: ${env:GIT_TOKEN}`",
        ),
        (
            "{source: {type: git, url: 'https://example.com/a.git', token: hunter2}}",
            "project.source.token: option 'token' is a credential",
            "write `token: ${env:TOKEN}`",
        ),
        (
            "{source: {type: git, url: 'https://example.com/a.git', subdir: ../up}}",
            "project.source.subdir: 'subdir' must be a folder inside the repository",
            "write it relative to the repository root, e.g. `subdir: dbt`",
        ),
        (
            "{source: {type: gcs, url: 's3://bucket/shop'}}",
            "project.source.url: the url does not match type gcs",
            "write the url as gs://bucket/prefix",
        ),
    ],
)
def test_a_wrong_project_source_is_located_without_echoing_secrets(
    tmp_path: Path, project: str, message: str, hint: str
) -> None:
    with pytest.raises(ManifestError) as caught:
        parse_manifest(
            MANIFEST_HEAD + f"project: {project}\n",
            source_path=tmp_path / "platform-manifest.yaml",
        )
    assert f"platform-manifest.yaml:5: {message}" in str(caught.value)
    assert caught.value.hint == hint
    assert "hunter2" not in str(caught.value)
