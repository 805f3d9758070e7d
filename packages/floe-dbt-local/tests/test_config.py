"""LocalRuntimeConfig: what the manifest's ``plugins.dbt_runtime.config`` may say."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from floe_dbt_local import LocalRuntime, LocalRuntimeConfig


def test_defaults_keep_partial_parsing_and_send_no_usage_stats() -> None:
    config = LocalRuntimeConfig()
    assert config.partial_parse is True
    assert config.send_anonymous_usage_stats is False
    assert config.threads is None  # the profile decides
    assert config.profiles_cache_dir.name == "floe"
    assert LocalRuntime.config_model is LocalRuntimeConfig


def test_paths_expand_the_home_folder() -> None:
    config = LocalRuntimeConfig.model_validate({"profiles_cache_dir": "~/p", "log_path": "~/l"})
    assert config.profiles_cache_dir == Path.home() / "p"
    assert config.log_path == Path.home() / "l"


@pytest.mark.parametrize(
    "bad", [{"thread": 4}, {"threads": 0}, {"log_level": "loud"}, {"manifest_cache_size": 0}]
)
def test_bad_settings_are_rejected(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        LocalRuntimeConfig.model_validate(bad)
