"""Errors of the artifact store, rooted at :class:`~floe_core.FloeError`.

::

    FloeError
    └── ArtifactStoreError          the store cannot be reached, read or written
        ├── ArtifactNotFoundError   no artifact under that key
        └── ArtifactCorruptedError  the artifact is there but its content is not what was stored

Every message names the artifact by its URI (``s3://bucket/prefix/shop/<id>/result.json``),
never by a credential.
"""

from __future__ import annotations

from floe_core._errors import FloeError

__all__ = ["ArtifactCorruptedError", "ArtifactNotFoundError", "ArtifactStoreError"]


class ArtifactStoreError(FloeError):
    """The artifact store could not be reached, read or written."""


class ArtifactNotFoundError(ArtifactStoreError):
    """No artifact exists under the requested key; ``uri`` names where it was looked for."""

    def __init__(self, uri: str, *, hint: str | None = None) -> None:
        super().__init__(f"artifact {uri} does not exist", hint=hint)
        self.uri = uri


class ArtifactCorruptedError(ArtifactStoreError):
    """An artifact's content does not match what was stored (hash) or cannot be parsed."""

    def __init__(self, uri: str, reason: str) -> None:
        super().__init__(
            f"artifact {uri} is corrupted: {reason}",
            hint="the file was changed or truncated after it was written; re-run to rewrite it",
        )
        self.uri = uri
