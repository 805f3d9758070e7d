"""floe runtime ``local``: dbt-core in-process through ``dbtRunner``.

Registered as entry point ``local`` in group ``floe.dbt_runtimes``. ``DBT_LOCK`` and
``DbtEventTranslator`` load dbt-core's command machinery, so they are imported on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from floe_dbt_local._config import LocalRuntimeConfig
from floe_dbt_local._runtime import LocalRuntime

if TYPE_CHECKING:
    from floe_dbt_local._dbt_runner import DBT_LOCK
    from floe_dbt_local._event_translation import DbtEventTranslator

__all__ = ["DBT_LOCK", "DbtEventTranslator", "LocalRuntime", "LocalRuntimeConfig"]

_LAZY = {
    "DBT_LOCK": "floe_dbt_local._dbt_runner",
    "DbtEventTranslator": "floe_dbt_local._event_translation",
}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
