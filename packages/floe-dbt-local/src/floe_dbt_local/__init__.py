"""floe runtime ``local``: dbt-core in-process through ``dbtRunner``.

Registered as entry point ``local`` in group ``floe.dbt_runtimes``.
"""

from __future__ import annotations

from floe_dbt_local._config import LocalRuntimeConfig
from floe_dbt_local._dbt_runner import DBT_LOCK
from floe_dbt_local._event_translation import DbtEventTranslator
from floe_dbt_local._runtime import LocalRuntime

__all__ = ["DBT_LOCK", "DbtEventTranslator", "LocalRuntime", "LocalRuntimeConfig"]
