"""dbt profiles: generated from the manifest's ``compute`` section, or an existing one.

``profile_source_for(manifest)`` gives the :data:`~floe_core.ProfileSource` an invocation
carries; a runtime calls ``materialize_profile(source, cache_dir=...)`` right before dbt runs.
"""

from __future__ import annotations

from floe_core.profiles._generate import GENERATED_PROFILE_NAME, profile_source_for
from floe_core.profiles._materialize import (
    PROFILES_FILENAME,
    MaterializedProfile,
    materialize_profile,
)

__all__ = [
    "GENERATED_PROFILE_NAME",
    "PROFILES_FILENAME",
    "MaterializedProfile",
    "materialize_profile",
    "profile_source_for",
]
