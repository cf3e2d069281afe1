"""Exceptions that carry the next step for the user.

They are raised deep inside the package and turned into text only at the edges
(CLI, web, Discord), so each message is a full sentence that says what to do.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: every message names the fix."""


class ConfigError(AssistantError):
    """A setting is unknown or has an invalid value."""


class IndexMissingError(AssistantError):
    """No index has been built yet at the configured place."""


class IndexUnavailableError(AssistantError):
    """The Chroma store could not be opened or reached."""


class IngestBusyError(AssistantError):
    """Another ingest holds the lock on this data directory."""


class ModelLoadError(AssistantError):
    """The embedding model could not be loaded from local files."""


class IndexDamagedError(IndexUnavailableError):
    """The embedded index's files are damaged; `ingest --rebuild` sets them aside."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason  # what is wrong, without the advice: "chroma.sqlite3 is empty"


class IndexModelMismatchError(AssistantError):
    """The index holds vectors of another embedding model than the one configured here."""
