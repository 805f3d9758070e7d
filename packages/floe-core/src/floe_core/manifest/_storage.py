"""Where things outlive a process: the ``artifacts`` store and a ``project.source``.

Both name object storage the same way: ``type`` (``s3``/``gcs``/``azure``), ``url`` with the
matching scheme and ``options`` (the store's settings; credentials only as ``${env:NAME}``).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from floe_core.manifest._secrets import is_secret_ref

__all__ = [
    "ArtifactsConfig",
    "GitProjectSource",
    "ObjectProjectSource",
    "ProjectSource",
    "RetentionConfig",
    "object_store_kind",
]

_STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
_URL_SCHEMES = {
    "s3": ("s3://", "s3a://"),
    "gcs": ("gs://",),
    "azure": ("az://", "abfs://", "abfss://", "azure://", "adl://"),
}


def object_store_kind(url: str) -> str | None:
    """``s3``, ``gcs`` or ``azure`` for an object store URL, ``None`` for anything else."""
    lowered = url.lower()
    for kind, schemes in _URL_SCHEMES.items():
        if lowered.startswith(schemes):
            return kind
    return None


_CREDENTIAL_OPTION = re.compile(r"secret|token|password|access_key$|customer_key|sas_key|_key$")

StoreOptions = dict[str, str | bool | int]


def _check_object_url(kind: str, value: str | None, section: str) -> str:
    schemes = _URL_SCHEMES[kind]
    example = f"{schemes[0]}bucket/prefix"
    if value is None:
        raise PydanticCustomError(
            "url_required",
            "an object store needs 'url'",
            {"hint": f"add `url: {example}` under {section}"},
        )
    if not value.startswith(schemes):
        raise PydanticCustomError(
            "url_scheme",
            "the url does not match type {kind}",
            {"kind": kind, "hint": f"write the url as {example}"},
        )
    return value


def _check_credentials(options: StoreOptions) -> StoreOptions:
    for name, option in options.items():
        if _CREDENTIAL_OPTION.search(name) and not (
            isinstance(option, str) and is_secret_ref(option)
        ):
            # The message must not contain the value: it is (probably) a real credential.
            raise PydanticCustomError(
                "plain_text_secret",
                "option '{name}' is a credential and must be a ${env:NAME} reference",
                {"name": name, "hint": f"write `{name}: ${{env:{name.upper()}}}`"},
            )
    return options


class RetentionConfig(BaseModel):
    """Which finished runs are kept; a run is deleted when either limit says so."""

    model_config = _STRICT

    keep_last: int | None = Field(default=None, ge=1)
    """Keep at most this many runs per project (the newest)."""
    keep_days: float | None = Field(default=None, gt=0)
    """Delete runs that started more than this many days ago."""


class ArtifactsConfig(BaseModel):
    """Where run results, logs and dbt artifacts are kept: a local folder or object storage.

    ``type: local`` uses ``path``; ``s3``/``gcs``/``azure`` use ``url`` (``s3://bucket/prefix``)
    and ``options`` (the store's settings: ``endpoint``, ``region``, credentials as
    ``${env:NAME}`` references).
    """

    model_config = _STRICT

    type: Literal["local", "s3", "gcs", "azure"] = "local"
    path: Path = Path(".floe/artifacts")
    url: str | None = Field(default=None, validate_default=True)
    options: StoreOptions = Field(default_factory=dict)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)

    @field_validator("url")
    @classmethod
    def _url_matches_type(cls, value: str | None, info: ValidationInfo) -> str | None:
        kind = info.data.get("type", "local")
        if kind != "local":
            return _check_object_url(kind, value, "artifacts")
        if value is not None:
            raise PydanticCustomError(
                "url_for_local",
                "'url' is for object storage; a local store uses 'path'",
                {"hint": "remove 'url', or set `type:` to s3, gcs or azure"},
            )
        return value

    @field_validator("options")
    @classmethod
    def _credentials_are_references(cls, value: StoreOptions) -> StoreOptions:
        return _check_credentials(value)

    @model_validator(mode="after")
    def _path_only_for_local(self) -> ArtifactsConfig:
        if self.type != "local" and "path" in self.model_fields_set:
            raise PydanticCustomError(
                "path_for_object_store",
                "'path' is for a local store; an object store ({kind}) uses 'url'",
                {"kind": self.type, "hint": "remove 'path' and keep 'url'"},
            )
        return self


class GitProjectSource(BaseModel):
    """A dbt project in a git repository, checked out at the commit ``ref`` resolves to."""

    model_config = _STRICT

    type: Literal["git"]
    url: str = Field(min_length=1)
    """``https://``, ``ssh://``, ``git://`` or ``file://``; never with a password in it."""
    ref: str = Field(default="HEAD", min_length=1)
    """Branch, tag or commit SHA."""
    subdir: str = ""
    """Folder of dbt_project.yml inside the repository."""
    token: str | None = None
    """``${env:NAME}`` holding an HTTPS token/password, given to git through GIT_ASKPASS."""
    username: str = "x-access-token"

    @field_validator("url")
    @classmethod
    def _no_credentials_in_url(cls, value: str) -> str:
        if urlsplit(value).password is not None:
            raise PydanticCustomError(
                "credentials_in_url",
                "the git url contains a password",
                {"hint": "remove it from the url and set `token: ${env:GIT_TOKEN}`"},
            )
        return value

    @field_validator("token")
    @classmethod
    def _token_is_a_reference(cls, value: str | None) -> str | None:
        if value is not None:
            _check_credentials({"token": value})
        return value

    @field_validator("subdir")
    @classmethod
    def _subdir_is_relative(cls, value: str) -> str:
        if value.startswith("/") or ".." in Path(value).parts:
            raise PydanticCustomError(
                "subdir_escapes",
                "'subdir' must be a folder inside the repository",
                {"hint": "write it relative to the repository root, e.g. `subdir: dbt`"},
            )
        return value.strip("/")


class ObjectProjectSource(BaseModel):
    """A dbt project stored under an object-storage prefix, downloaded once per version."""

    model_config = _STRICT

    type: Literal["s3", "gcs", "azure"]
    url: str
    options: StoreOptions = Field(default_factory=dict)

    @field_validator("url")
    @classmethod
    def _url_matches_type(cls, value: str, info: ValidationInfo) -> str:
        return _check_object_url(info.data.get("type", "s3"), value, "project.source")

    @field_validator("options")
    @classmethod
    def _credentials_are_references(cls, value: StoreOptions) -> StoreOptions:
        return _check_credentials(value)


ProjectSource = Annotated[GitProjectSource | ObjectProjectSource, Field(discriminator="type")]
"""Where a dbt project is fetched from when it is not a local folder (``project.dir``)."""
