"""platform-manifest.yaml: the schema, loading with line-accurate errors, and secret references.

>>> manifest = load_manifest("platform-manifest.yaml")
>>> manifest.runtime.type, manifest.project_dir()
"""

from __future__ import annotations

from floe_core.manifest._loader import (
    MANIFEST_FILENAME,
    load_manifest,
    missing_secrets,
    parse_manifest,
)
from floe_core.manifest._models import (
    API_VERSION,
    KIND,
    ComputeConfig,
    ComputeTarget,
    ExistingProfileConfig,
    ManifestMetadata,
    ObservabilityConfig,
    PlatformManifest,
    PluginsConfig,
    ProjectConfig,
    RuntimePluginConfig,
)
from floe_core.manifest._secrets import (
    SECRET_REF_PATTERN,
    find_secret_refs,
    render_dbt_env_vars,
    resolve_secret_refs,
)
from floe_core.manifest._starter import starter_manifest
from floe_core.manifest._storage import (
    ArtifactsConfig,
    GitProjectSource,
    ObjectProjectSource,
    ProjectSource,
    RetentionConfig,
    object_store_kind,
)

__all__ = [
    "API_VERSION",
    "KIND",
    "MANIFEST_FILENAME",
    "SECRET_REF_PATTERN",
    "ArtifactsConfig",
    "ComputeConfig",
    "ComputeTarget",
    "ExistingProfileConfig",
    "GitProjectSource",
    "ManifestMetadata",
    "ObjectProjectSource",
    "ObservabilityConfig",
    "PlatformManifest",
    "PluginsConfig",
    "ProjectConfig",
    "ProjectSource",
    "RetentionConfig",
    "RuntimePluginConfig",
    "find_secret_refs",
    "load_manifest",
    "missing_secrets",
    "object_store_kind",
    "parse_manifest",
    "render_dbt_env_vars",
    "resolve_secret_refs",
    "starter_manifest",
]
