"""What an ingest did, how it reports progress, and the lock that keeps ingests apart."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from assistant.errors import IngestBusyError
from assistant.ingest.discover import Problem


class Progress(Protocol):
    def update(self, n: int) -> None: ...
    def close(self) -> None: ...


class NoProgress:
    def update(self, n: int) -> None:
        pass

    def close(self) -> None:
        pass


ProgressFactory = Callable[[int, str], Progress]


@dataclass
class IngestReport:
    files: int = 0  # essay files found under the given paths
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    missing_paths: list[str] = field(default_factory=list)
    failed_urls: list[str] = field(default_factory=list)  # given, never fetched, no copy
    chunks_in_index: int = 0
    chunks_embedded: int = 0
    chunks_removed: int = 0
    units_embedded: int = 0  # passage units (sentences, items) cached for answers
    units_seconds: float = 0.0
    indexed_from_paths: int = 0  # essays from the given paths now in the index
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    backend: str = ""

    @property
    def ok(self) -> bool:
        """Non-zero exit only when a path is missing, a URL could not be fetched, or
        nothing from the paths is indexed."""
        return not self.missing_paths and not self.failed_urls and self.indexed_from_paths > 0

    def summary(self) -> str:
        return (
            f"files: {self.files} (added {self.added}, updated {self.updated}, "
            f"removed {self.removed}, unchanged {self.unchanged}, "
            f"skipped {len(self.problems)}); chunks: {self.chunks_in_index} in index "
            f"(embedded {self.chunks_embedded}, removed {self.chunks_removed}); "
            f"{self.seconds:.1f} s; embedding backend: {self.backend}"
        )


@contextmanager
def ingest_lock(data_dir: Path) -> Iterator[None]:
    """One ingest per data directory; a second one is told to wait, not corrupt."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "ingest.lock"
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            raise IngestBusyError(
                f"Another ingest is running on {data_dir} (pid {holder}); wait for it to finish."
            ) from exc
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
