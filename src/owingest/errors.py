"""The one exception tree of owingest.

Every error knows, where it is raised, whether trying again may help::

    OwingestError                 message starts with the stage (and source id)
    ├── ConfigError               sources.yaml or a setting is invalid (exit 2)
    ├── WarehouseError            the DuckDB file cannot be opened or migrated
    └── SourceError               one source failed; the run carries on
        ├── TransientError        network trouble, 429, 5xx: retried with backoff
        └── PermanentError        404/410/401/403, too large, not a feed: not retried
            └── BlockedDestinationError   a private address was refused (SSRF guard)

A ``SourceError`` never stops a run: it is recorded on the source's row in
``sources`` and ``fetches``, and the other sources go on.
"""

from __future__ import annotations

__all__ = [
    "BlockedDestinationError",
    "ConfigError",
    "OwingestError",
    "PermanentError",
    "SourceError",
    "TransientError",
    "WarehouseError",
]


class OwingestError(Exception):
    """Base class: the message is one line a user can act on."""


class ConfigError(OwingestError):
    """Invalid configuration; the message names the file, the entry and the field."""


class WarehouseError(OwingestError):
    """The warehouse cannot be opened, migrated or written."""


class SourceError(OwingestError):
    """One source failed at one stage."""

    transient: bool = False

    def __init__(self, stage: str, message: str, *, status: int | None = None,
                 retry_after: float | None = None) -> None:
        super().__init__(f"{stage}: {message}")
        self.stage = stage
        self.message = message
        self.status = status
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[object, ...]:
        # errors cross process boundaries (parser workers): rebuild them with their fields
        return (_rebuild, (type(self), self.stage, self.message, self.status, self.retry_after))


def _rebuild(cls: type[SourceError], stage: str, message: str, status: int | None,
             retry_after: float | None) -> SourceError:
    return cls(stage, message, status=status, retry_after=retry_after)


class TransientError(SourceError):
    """May succeed if tried again later (connection trouble, 429, 5xx)."""

    transient = True


class PermanentError(SourceError):
    """Will fail again the same way; recorded and not retried."""


class BlockedDestinationError(PermanentError):
    """The destination resolved to an address the SSRF guard refuses."""
