"""A policy plugin's refusal of a run, and the error that carries it to the user."""

from __future__ import annotations

from dataclasses import dataclass

from floe_core._errors import ConfigError

__all__ = ["RunVetoedError", "Veto"]


@dataclass(frozen=True)
class Veto:
    """Returned by a ``floe_check_run`` implementation to refuse a run.

    ``reason`` is shown to the user as is, so say what to change, e.g.
    ``"production target requires --full-refresh approval"``.
    """

    reason: str


class RunVetoedError(ConfigError):
    """A plugin's ``floe_check_run`` policy refused the run before it started."""

    def __init__(self, plugin: str, reason: str, *, distribution: str | None = None) -> None:
        source = f"plugin {plugin!r}" + (f" (from {distribution})" if distribution else "")
        super().__init__(
            f"run refused by {source}: {reason}",
            hint="change the invocation to satisfy the policy, or uninstall the plugin",
        )
        self.plugin = plugin
        self.distribution = distribution
        self.reason = reason
