"""floe runtime ``local``: dbt-core in-process through ``dbtRunner``.

Registered as entry point ``local`` in group ``floe.dbt_runtimes``. ``DbtEventTranslator``
loads dbt-core's command machinery, so it is imported on first use. ``DBT_LOCK`` is
:data:`floe_dbt_inprocess.DBT_LOCK`, the one lock over dbt's process globals, kept here for
code that holds it around its own dbt calls next to this runtime.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

import floe_dbt_inprocess
from floe_core._lazy import lazy_getattr
from floe_dbt_local._config import LocalRuntimeConfig
from floe_dbt_local._runtime import LocalRuntime

if TYPE_CHECKING:
    from floe_dbt_local._event_translation import DbtEventTranslator

__all__ = ["DBT_LOCK", "DbtEventTranslator", "LocalRuntime", "LocalRuntimeConfig"]

DBT_LOCK: AbstractContextManager[object] = floe_dbt_inprocess.DBT_LOCK
"""Hold it (``with DBT_LOCK:``) around any other dbt-core call in this process."""

__getattr__ = lazy_getattr(__name__, {"DbtEventTranslator": "floe_dbt_local._event_translation"})
