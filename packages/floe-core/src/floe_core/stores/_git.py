"""dbt projects from git, through the ``git`` CLI: resolve a ref to a commit, export it once.

A commit is exported with ``git archive`` from a bare cache repository into
``<cache>/git/<url hash>/<commit>/``: exactly the commit's tree, no ``.git``, shared by every
run of that commit. An HTTPS token is handed to git by ``GIT_ASKPASS`` from the environment
of the git process only: never in the URL, the command line or an error message.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import re
import shutil
import stat
import subprocess
import tarfile
import tempfile
from pathlib import Path

from floe_core._errors import ProjectError
from floe_core.manifest import GitProjectSource, resolve_secret_refs

__all__ = ["GitCheckouts"]

_SHA = re.compile(r"[0-9a-f]{40}")
_ASKPASS = """#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$FLOE_GIT_USERNAME" ;;
  *) printf '%s\\n' "$FLOE_GIT_PASSWORD" ;;
esac
"""
_TIMEOUT_SECONDS = 300


class GitCheckouts:
    """Commits of git repositories exported under ``cache_dir``, one folder per commit."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = Path(cache_dir)

    def resolve(self, source: GitProjectSource) -> str:
        """The commit ``source.ref`` points at now (a 40-hex SHA is taken as it is)."""
        if _SHA.fullmatch(source.ref):
            return source.ref
        wanted = [
            f"refs/heads/{source.ref}",
            f"refs/tags/{source.ref}^{{}}",  # an annotated tag's commit
            f"refs/tags/{source.ref}",
            source.ref,
        ]
        refs: dict[str, str] = {}
        # Asking for ``ref^{}`` too makes ls-remote show what an annotated tag points at.
        patterns = (source.ref, f"{source.ref}^{{}}")
        for line in self._git(source, "ls-remote", source.url, *patterns).splitlines():
            sha, _, name = line.partition("\t")
            refs[name] = sha
        for name in wanted:
            if name in refs:
                return refs[name]
        raise ProjectError(
            f"git ref {source.ref!r} not found in {source.url}",
            hint="set `project.source.ref` to an existing branch, tag or commit SHA",
        )

    def checkout(self, source: GitProjectSource, commit: str) -> Path:
        """The repository at ``commit`` (exported once, then reused), with ``subdir`` applied."""
        target = self.cache_dir / "git" / _url_key(source.url) / commit
        if not target.is_dir():
            target.parent.mkdir(parents=True, exist_ok=True)
            # Workers on this machine share the cache repository: one fetch at a time.
            with (target.parent / ".lock").open("w") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if not target.is_dir():
                    self._export(source, commit, target)
        return target / source.subdir if source.subdir else target

    def _export(self, source: GitProjectSource, commit: str, target: Path) -> None:
        repository = target.parent / "repo.git"
        if not repository.is_dir():
            self._git(source, "init", "--quiet", "--bare", str(repository))
        if not self._has_commit(source, repository, commit):
            self._git(source, "fetch", "--quiet", "--depth=1", source.url, commit, cwd=repository)
        archive = self._git_bytes(source, "archive", "--format=tar", commit, cwd=repository)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{commit}."))
        try:
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(staging, filter="data")
            staging.rename(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _has_commit(self, source: GitProjectSource, repository: Path, commit: str) -> bool:
        try:
            self._git(source, "cat-file", "-e", f"{commit}^{{commit}}", cwd=repository)
        except ProjectError:
            return False
        return True

    def _git(self, source: GitProjectSource, *args: str, cwd: Path | None = None) -> str:
        return self._git_bytes(source, *args, cwd=cwd).decode().strip()

    def _git_bytes(self, source: GitProjectSource, *args: str, cwd: Path | None = None) -> bytes:
        env = {**os.environ, "GIT_TERMINAL_PROMPT": "0"}
        token = None
        if source.token is not None:
            token = str(resolve_secret_refs(source.token, field="project.source.token"))
            env |= {
                "GIT_ASKPASS": str(self._askpass()),
                "FLOE_GIT_USERNAME": source.username,
                "FLOE_GIT_PASSWORD": token,
            }
        try:
            done = subprocess.run(
                ["git", *args],
                cwd=cwd,
                env=env,
                capture_output=True,
                check=True,
                timeout=_TIMEOUT_SECONDS,
            )
        except subprocess.CalledProcessError as exc:
            stderr = exc.stderr.decode(errors="replace").strip()
            if token:
                stderr = stderr.replace(token, "***")
            raise ProjectError(
                f"git {args[0]} of {source.url} failed: {stderr}",
                hint="check `project.source` (url, ref) and that this machine can reach the"
                " repository (token in the environment variable `token` names)",
            ) from None
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ProjectError(
                f"cannot run git for {source.url}: {exc}",
                hint="install git on this machine and check the repository is reachable",
            ) from exc
        return done.stdout

    def _askpass(self) -> Path:
        script = self.cache_dir / "git" / "askpass.sh"
        if not script.is_file():
            script.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=script.parent, prefix=".askpass.")
            with os.fdopen(fd, "w") as handle:
                handle.write(_ASKPASS)
            os.chmod(temp, stat.S_IRWXU)
            os.replace(temp, script)
        return script


def _url_key(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()[:16]
