from __future__ import annotations

import pytest
from pydantic import ValidationError

from floe_core import PluginConfigError, SecretError
from floe_dbt_cloud import CloudConfig


def _config(**fields: object) -> CloudConfig:
    return CloudConfig.model_validate(
        {"account_id": 7, "job_id": 1, "token": "${env:FLOE_TEST_DBT_TOKEN}", **fields}
    )


@pytest.mark.parametrize(
    ("access_url", "graphql_url"),
    [
        ("https://cloud.getdbt.com", "https://metadata.cloud.getdbt.com/graphql"),
        ("https://emea.dbt.com", "https://metadata.emea.dbt.com/graphql"),
        ("https://ab123.us1.dbt.com", "https://ab123.metadata.us1.dbt.com/graphql"),
        ("https://xy9.eu2.dbt.com/", "https://xy9.metadata.eu2.dbt.com/graphql"),
    ],
)
def test_discovery_host_follows_the_access_url(access_url: str, graphql_url: str) -> None:
    config = _config(access_url=access_url)
    assert config.graphql_url == graphql_url
    assert config.api_base_url == f"{access_url.rstrip('/')}/api/v2/accounts/7/"


def test_token_reference_is_resolved_late_and_never_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = _config()
    monkeypatch.delenv("FLOE_TEST_DBT_TOKEN", raising=False)
    with pytest.raises(SecretError, match="FLOE_TEST_DBT_TOKEN") as excinfo:
        config.resolved_token()
    assert excinfo.value.exit_code == 2
    monkeypatch.setenv("FLOE_TEST_DBT_TOKEN", "s3cr3t-value")
    assert config.resolved_token().get_secret_value() == "s3cr3t-value"
    assert "s3cr3t" not in repr(config.resolved_token())
    assert "s3cr3t" not in repr(config)


def test_job_per_target_and_default() -> None:
    config = _config(job_id=None, jobs={"prod": 11, "dev": 12})
    assert config.job_for_target("prod") == 11
    with pytest.raises(PluginConfigError, match="no job for target 'qa'"):
        config.job_for_target("qa")
    assert _config(jobs={"prod": 11}).job_for_target("qa") == 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"job_id": None}, "set `job_id`"),
        ({"access_url": "cloud.getdbt.com"}, "not an http"),
        ({"token": "${env:not valid}"}, "reference like"),
        ({"poll_interval_seconds": 0}, "greater than 0"),
    ],
)
def test_invalid_config_says_what_to_fix(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        _config(**fields)
