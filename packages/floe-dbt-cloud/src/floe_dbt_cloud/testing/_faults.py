"""Fault injection switches of the fake dbt Cloud.

Faults are consumed in the order they were added; each fires ``times`` times on requests
matching ``method`` and the ``path`` regex (``None`` matches any)::

    fake.faults.rate_limit(times=2, retry_after=1)      # 429 with Retry-After
    fake.faults.rate_limit(times=2)                     # 429 without it
    fake.faults.server_error(status=503)                # JSON 5xx envelope
    fake.faults.html_502()                              # a load balancer's HTML page
    fake.faults.slow(delay=2.0, path=r"/runs/\\d+/$")  # answer late (client timeouts)
    fake.faults.lose_response(method="POST", path=r"/jobs/\\d+/run/$")  # run created, no answer
    fake.faults.redirect(path=r"/runs/")                # 307 to the same URL (must be followed)
    fake.faults.slow_run(seconds=5)                     # the next run stays Starting (2) 5 s
    release = fake.faults.hold_after_node("orders")     # dbt pauses once `orders` finished
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Literal

__all__ = ["TRIGGER_PATH", "Fault", "FaultInjector"]

FaultKind = Literal["rate_limit", "server_error", "html_502", "slow", "lose_response", "redirect"]

TRIGGER_PATH = r"/jobs/\d+/run/$"
"""Path regex of the trigger POST, the request whose loss matters most."""


@dataclass
class Fault:
    kind: FaultKind
    times: int = 1
    method: str | None = None
    path: str | None = None
    retry_after: float | None = None
    status: int = 503
    delay: float = 0.0
    location_host: str | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or re.search(self.path, path) is not None


class FaultInjector:
    """Thread-safe queue of HTTP faults plus run-level delays."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._run_delays: list[float] = []
        self._holds: dict[str, threading.Event] = {}
        self.fired: list[tuple[str, str, str]] = []
        """``(kind, method, path)`` of every fault that fired, for assertions."""

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self._faults.append(fault)
        return fault

    def rate_limit(
        self,
        *,
        times: int = 1,
        retry_after: float | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> Fault:
        return self.add(Fault("rate_limit", times, method, path, retry_after=retry_after))

    def server_error(
        self,
        *,
        times: int = 1,
        status: int = 503,
        method: str | None = None,
        path: str | None = None,
    ) -> Fault:
        return self.add(Fault("server_error", times, method, path, status=status))

    def html_502(
        self, *, times: int = 1, method: str | None = None, path: str | None = None
    ) -> Fault:
        return self.add(Fault("html_502", times, method, path, status=502))

    def slow(
        self, *, delay: float, times: int = 1, method: str | None = None, path: str | None = None
    ) -> Fault:
        return self.add(Fault("slow", times, method, path, delay=delay))

    def lose_response(
        self, *, times: int = 1, method: str | None = "POST", path: str | None = TRIGGER_PATH
    ) -> Fault:
        """The request is processed (a trigger creates its run) but no answer is sent."""
        return self.add(Fault("lose_response", times, method, path))

    def redirect(
        self,
        *,
        times: int = 1,
        method: str | None = None,
        path: str | None = None,
        to_host: str | None = None,
    ) -> Fault:
        """A 307 to the same URL (method and body kept), as a load balancer may send.

        ``to_host`` (e.g. ``"localhost"``) redirects to another host on the same port, where
        a well-behaved client no longer sends its token.
        """
        return self.add(Fault("redirect", times, method, path, status=307, location_host=to_host))

    def slow_run(self, *, seconds: float) -> None:
        """The next run stays Starting (status 2) ``seconds`` before its steps run, as while
        dbt Cloud finds a runner (a cancel or the job's timeout cuts it short)."""
        with self._lock:
            self._run_delays.append(seconds)

    def hold_after_node(self, name: str) -> threading.Event:
        """Pause dbt (up to 30 s) after node ``name`` finishes, until the event is set.

        Lets a test prove progress is reported while the run is still going.
        """
        with self._lock:
            return self._holds.setdefault(name, threading.Event())

    def hold_for(self, name: str) -> threading.Event | None:
        with self._lock:
            return self._holds.get(name)

    def take(self, method: str, path: str) -> Fault | None:
        """The first pending fault matching the request, consuming one of its ``times``."""
        with self._lock:
            for fault in self._faults:
                if fault.times > 0 and fault.matches(method, path):
                    fault.times -= 1
                    self.fired.append((fault.kind, method, path))
                    return fault
        return None

    def take_run_delay(self) -> float:
        with self._lock:
            return self._run_delays.pop(0) if self._run_delays else 0.0

    def pending(self) -> int:
        with self._lock:
            return sum(fault.times for fault in self._faults) + len(self._run_delays)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._run_delays.clear()
            self._holds.clear()
            self.fired.clear()
