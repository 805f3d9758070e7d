"""Errors of the results store, under :class:`~floe_core.stores.ArtifactStoreError`."""

from __future__ import annotations

from floe_core._results import DBTRunResult
from floe_core.stores import ArtifactStoreError

__all__ = ["ResultsNotKeptError"]


class ResultsNotKeptError(ArtifactStoreError):
    """The results store could not write a run's record: the run is a failure even if its
    nodes succeeded, because nothing would show it afterwards.

    ``result`` is the run's outcome when it ran (dbt's own artifacts stay in its target
    folder), ``None`` when the run was refused before it started.
    """

    def __init__(
        self,
        store_url: str,
        cause: ArtifactStoreError,
        *,
        where: str | None,
        result: DBTRunResult | None = None,
    ) -> None:
        field = f"`artifacts` ({where})" if where else "the manifest's `artifacts`"
        kept = (
            f"; dbt's own artifacts of this run are in {result.manifest_path.parent}"
            if result is not None and result.manifest_path is not None
            else ""
        )
        super().__init__(
            f"the results store {store_url} cannot be written: {cause.message}{kept}",
            hint=f"make it writable (permissions, free space, credentials) or point {field}"
            " at a store this process can write; `floe validate` checks it",
        )
        self.store_url = store_url
        self.result = result
