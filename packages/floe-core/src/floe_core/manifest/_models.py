"""The platform-manifest.yaml schema: strict pydantic models, one per section."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializeAsAny,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from floe_core.lineage import LineageConfig
from floe_core.manifest._storage import ArtifactsConfig, ProjectSource
from floe_core.manifest._yaml import KeyPath, LineMap, line_of, parse_field_path
from floe_core.tracing import TracingConfig

__all__ = [
    "API_VERSION",
    "KIND",
    "ComputeConfig",
    "ExistingProfileConfig",
    "ManifestMetadata",
    "ObservabilityConfig",
    "PlatformManifest",
    "PluginsConfig",
    "ProjectConfig",
    "RuntimePluginConfig",
]

API_VERSION = "floe.dev/v1"
KIND = "PlatformManifest"

_STRICT = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class ManifestMetadata(BaseModel):
    model_config = _STRICT

    name: str | None = None
    labels: dict[str, str] = Field(default_factory=dict)


class ProjectConfig(BaseModel):
    """The dbt project floe runs by default: the folder ``dir`` (relative to the manifest's
    folder), or ``source``, a git repository or object-storage prefix fetched per version."""

    model_config = _STRICT

    dir: Path = Path(".")
    source: ProjectSource | None = None
    target: str | None = None
    vars: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_location(self) -> ProjectConfig:
        if self.source is not None and "dir" in self.model_fields_set:
            raise PydanticCustomError(
                "exclusive_sections",
                "set either 'dir' (a local folder) or 'source' (fetched), not both",
                {"hint": "keep 'source' and give the folder inside it as `source.subdir`"},
            )
        return self


class RuntimePluginConfig(BaseModel):
    """Which runtime runs dbt. ``config`` is checked later by that runtime's own model."""

    model_config = _STRICT

    type: str = Field(min_length=1)
    """Entry point name in group ``floe.dbt_runtimes`` (``local``, ``cloud``, ``temporal``)."""
    config: dict[str, Any] = Field(default_factory=dict)


class PluginsConfig(BaseModel):
    model_config = _STRICT

    dbt_runtime: RuntimePluginConfig


SettingsModel = type[BaseModel]
"""The model of a warehouse type's settings (named here: ``type`` is a field below)."""


class _Unchecked(BaseModel):
    """Stands for the settings of a warehouse type that failed validation itself."""


class ComputeTarget(BaseModel):
    """A warehouse floe generates a dbt profile output for: ``type`` is a warehouse type of
    the table (``floe_core.warehouses``; built in: bigquery, databricks, duckdb, postgres,
    redshift, snowflake, trino), ``config`` that type's settings."""

    model_config = _STRICT

    type: str = Field(min_length=1)
    """The warehouse type, also dbt's adapter type (``duckdb``, ``postgres``...)."""
    config: SerializeAsAny[BaseModel] = Field(default_factory=dict, validate_default=True)
    """The type's settings (see the sections below); validated by the type's own model."""

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        # Imported on use: the warehouse types import this package's secret references.
        from floe_core.warehouses import find_warehouse, warehouse_names

        if find_warehouse(value) is None:
            known = warehouse_names()
            raise PydanticCustomError(
                "unknown_warehouse",
                "unknown warehouse type '{type}'",
                {
                    "type": value,
                    "hint": f"use one of: {', '.join(known)} (or install the package"
                    f" registering '{value}' in entry point group floe.warehouses)",
                },
            )
        return value

    @field_validator("config", mode="before")
    @classmethod
    def _settings_of_type(cls, value: Any, info: ValidationInfo) -> Any:
        model = cls.model_of_field("config", info.data)
        # An unknown or missing type is reported on `type`; its settings cannot be checked.
        return model.model_validate(value) if model is not None else _Unchecked()

    @classmethod
    def model_of_field(cls, field: str | int, data: Mapping[str, Any]) -> SettingsModel | None:
        """The model of ``config``: the settings of the warehouse type ``data`` names
        (``None`` for another field or an unknown type). Error hints use it too."""
        from floe_core.warehouses import find_warehouse

        name = data.get("type")
        if field != "config" or not isinstance(name, str):
            return None
        described = find_warehouse(name)
        return described.settings_model if described is not None else None


class ComputeConfig(ComputeTarget):
    """The warehouse of the manifest's own target (``project.target``, default ``dev``) and,
    under ``targets``, those of other dbt targets (``ci``, ``prod``...) that ``--target``
    picks, as the outputs of a profiles.yml."""

    targets: dict[str, ComputeTarget] = Field(default_factory=dict)
    """Other dbt targets by name (``ci``, ``prod``), each a ``type`` and ``config`` as here;
    ``--target NAME`` runs on it."""


class ExistingProfileConfig(BaseModel):
    """An existing profiles.yml instead of ``compute`` (``~`` and relative paths allowed)."""

    model_config = _STRICT

    profiles_dir: Path
    profile_name: str | None = None


class ObservabilityConfig(BaseModel):
    model_config = _STRICT

    lineage: LineageConfig = Field(default_factory=LineageConfig)
    tracing: TracingConfig = Field(default_factory=TracingConfig)


class PlatformManifest(BaseModel):
    """A validated platform-manifest.yaml.

    Relative paths inside resolve against :attr:`base_dir` (the manifest file's folder); use
    :meth:`resolve_path`, :meth:`project_dir` and :meth:`artifacts_dir` rather than the raw
    fields. :meth:`locate` maps a dotted field path to ``file:line`` for error messages.
    """

    model_config = _STRICT

    api_version: Literal["floe.dev/v1"] = Field(alias="apiVersion")
    kind: Literal["PlatformManifest"]
    metadata: ManifestMetadata = Field(default_factory=ManifestMetadata)
    project: ProjectConfig = Field(default_factory=ProjectConfig)
    plugins: PluginsConfig
    compute: ComputeConfig | None = None
    profile: ExistingProfileConfig | None = None
    artifacts: ArtifactsConfig = Field(default_factory=ArtifactsConfig)
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig)

    _source_path: Path | None = PrivateAttr(default=None)
    _base_dir: Path = PrivateAttr(default_factory=Path.cwd)
    _lines: LineMap = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _targets_differ(self) -> PlatformManifest:
        own = self.project.target or "dev"
        if self.compute is not None and own in self.compute.targets:
            raise PydanticCustomError(
                "duplicate_target",
                "compute.targets.{target} repeats the manifest's own target '{target}'",
                {
                    "target": own,
                    "field": "compute",
                    "hint": "the top-level compute section is that target; keep it there",
                },
            )
        return self

    @model_validator(mode="after")
    def _one_profile_source(self) -> PlatformManifest:
        if self.compute is not None and self.profile is not None:
            raise PydanticCustomError(
                "exclusive_sections",
                "set either 'compute' (floe generates the dbt profile) or 'profile' (an"
                " existing profiles.yml), not both",
                {"field": "profile", "hint": "keep only one of 'compute' and 'profile'"},
            )
        return self

    @classmethod
    def from_data(
        cls,
        data: Any,
        *,
        source_path: Path | None = None,
        base_dir: Path | None = None,
        lines: LineMap | None = None,
    ) -> PlatformManifest:
        """Validate already-parsed YAML; raises pydantic's ``ValidationError``.

        ``base_dir`` defaults to the folder of ``source_path``, else the working directory.
        """
        manifest = cls.model_validate(data)
        if source_path is not None:
            manifest._source_path = source_path
        if base_dir is not None:
            manifest._base_dir = base_dir.resolve()
        elif source_path is not None:
            manifest._base_dir = source_path.resolve().parent
        manifest._lines = dict(lines or {})
        return manifest

    @property
    def source_path(self) -> Path | None:
        """The file this manifest was loaded from (``None`` when built in code)."""
        return self._source_path

    @property
    def base_dir(self) -> Path:
        """Absolute folder that relative paths in the manifest resolve against."""
        return self._base_dir

    @property
    def runtime(self) -> RuntimePluginConfig:
        return self.plugins.dbt_runtime

    def resolve_path(self, path: str | Path) -> Path:
        """``path`` with ``~`` expanded, made absolute against :attr:`base_dir`."""
        expanded = Path(path).expanduser()
        return expanded if expanded.is_absolute() else self._base_dir / expanded

    def project_dir(self) -> Path:
        return self.resolve_path(self.project.dir)

    def artifacts_dir(self) -> Path:
        return self.resolve_path(self.artifacts.path)

    def locate(self, field: str | KeyPath) -> str | None:
        """``file:line`` of ``field`` (``"plugins.dbt_runtime.config.threads"``) or of its
        nearest parent present in the file; the file alone if no line is known; ``None`` for
        a manifest not loaded from a file."""
        if self._source_path is None:
            return None
        path = parse_field_path(field) if isinstance(field, str) else field
        line = line_of(self._lines, path)
        return f"{self._source_path}:{line}" if line is not None else str(self._source_path)
