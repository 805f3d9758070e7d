"""A small cache of what the workbench parsed from run files (immutable once written)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import TypeVar

__all__ = ["Cache"]

_T = TypeVar("_T")


class Cache:
    """A small thread-safe LRU of things parsed from immutable run files; a key being loaded
    is loaded once, whoever else asks for it meanwhile waits for that load."""

    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[tuple[str, str], object] = OrderedDict()
        self._loading: dict[tuple[str, str], threading.Lock] = {}
        self._lock = threading.Lock()
        self._size = size

    def get(self, key: tuple[str, str], load: Callable[[], _T]) -> _T:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]  # type: ignore[return-value]
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:
            with self._lock:
                if key in self._items:  # loaded while this thread waited
                    return self._items[key]  # type: ignore[return-value]
            try:
                value = load()
            finally:
                with self._lock:
                    self._loading.pop(key, None)
            with self._lock:
                self._items[key] = value
                while len(self._items) > self._size:
                    self._items.popitem(last=False)
        return value
