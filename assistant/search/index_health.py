"""Is the embedded index damaged, and how `ingest --rebuild` gets past it.

A truncated or overwritten ``chroma.sqlite3`` makes chromadb raise an internal error
from deep inside its Rust bindings, or (when the file is empty) silently start a new,
empty store beside the old segment folders. Both must become one line that names the
fix. The checks here read the SQLite file with the standard library only, so they
work when chromadb cannot open the store at all.
"""

from __future__ import annotations

import logging
import re
import sqlite3
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Protocol, TypeVar

from assistant.config import Settings
from assistant.errors import IndexDamagedError, IndexUnavailableError

log = logging.getLogger(__name__)

SQLITE_FILE = "chroma.sqlite3"
SQLITE_HEADER = b"SQLite format 3\x00"
# Words SQLite (through chromadb) uses for a file that is not a sound database:
# SQLITE_CORRUPT (11) "database disk image is malformed", SQLITE_NOTADB (26).
DAMAGE_WORDS = ("malformed", "not a database", "corrupt", "(code: 11)", "(code: 26)")


def damage_before_open(store: Path) -> str | None:
    """Why the store at ``store`` is damaged, seen without opening it; None if it looks sound.

    An empty database file beside segment folders is an index that lost its records
    (chromadb would quietly start over in it); a file without SQLite's header is not
    a database. An empty file in an otherwise empty folder is a store that was never
    written, not a damaged one.
    """
    db = store / SQLITE_FILE
    try:
        size = db.stat().st_size
        if size == 0:
            segments = [p for p in store.iterdir() if p.is_dir()]
            return f"{SQLITE_FILE} is empty" if segments else None
        with db.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"{SQLITE_FILE} cannot be read ({exc.strerror or exc})"
    if header != SQLITE_HEADER:
        return f"{SQLITE_FILE} is not a SQLite database"
    return None


def diagnose(store: Path, error: BaseException) -> str | None:
    """Why ``error`` (raised while opening or reading the store) means damage; None if it
    doesn't (a lock, a full disk, a bug): then it is not ours to repair."""
    message = str(error)
    if any(word in message for word in DAMAGE_WORDS):
        # "error returned from database: (code: 11) database disk image is malformed"
        return re.sub(r"^.*\(code: \d+\)\s*", "", message) or message
    seen = damage_before_open(store)
    if seen:
        return seen
    return _quick_check(store / SQLITE_FILE)


def _quick_check(db: Path) -> str | None:
    """SQLite's own structural check, read-only; only run after an error (it reads the
    whole file)."""
    if not db.is_file():
        return None
    try:
        with closing(sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True)) as conn:
            rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.OperationalError:
        return None  # busy, locked, a writer's journal: in use, not damaged
    except sqlite3.DatabaseError as exc:  # SQLITE_CORRUPT, SQLITE_NOTADB
        return str(exc)
    problems = [str(row[0]) for row in rows if row and row[0] != "ok"]
    return "; ".join(problems[:3]) or None


def damaged(store: Path, reason: str) -> IndexDamagedError:
    return IndexDamagedError(
        f"The index at {store} is damaged ({reason}) — run `career-assistant ingest --rebuild` "
        "to set it aside and index the essays again.",
        reason,
    )


def unusable(settings: Settings, exc: Exception) -> IndexUnavailableError:
    """One line for a store that failed to open or read: damaged, and how to recover, or
    else unreadable (a server down, a lock, a full disk)."""
    store = settings.chroma_dir
    reason = None if settings.chroma_url else diagnose(store, exc)
    if reason:
        return damaged(store, reason)
    if settings.chroma_url:
        return IndexUnavailableError(
            f"Cannot use the index at {settings.chroma_url} ({exc}); see the Chroma server's log."
        )
    return IndexUnavailableError(
        f"Cannot open the index at {store} ({exc}); if an ingest is running, try again when "
        "it has finished, else run `career-assistant ingest --rebuild`."
    )


def set_aside(store: Path) -> Path:
    """Move a damaged store out of the way (never delete it: it may be worth a look) and
    return where it went; the caller builds a fresh one at ``store``."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(100):
        target = store.with_name(f"{store.name}.damaged-{stamp}" + (f"-{n}" if n else ""))
        if not target.exists():
            break
    try:
        store.rename(target)
    except OSError as exc:
        raise IndexDamagedError(
            f"The index at {store} is damaged and could not be moved aside ({exc.strerror or exc})"
            f" — delete {store} and run `career-assistant ingest`."
        ) from exc
    return target


class Store(Protocol):
    """What a rebuild needs of an index (``ChunkIndex`` has it)."""

    def drop(self) -> None: ...

    def close(self) -> None: ...


S = TypeVar("S", bound=Store)


def rebuilt(open_store: Callable[[], S], settings: Settings) -> tuple[S, str]:
    """An emptied index for `ingest --rebuild`, and a note for the user ("" if none).

    ``rebuild`` must recover from any state of the embedded store: one that cannot be
    opened or emptied (damaged files) is moved aside and a new one made. A server
    repairs its own files, so its errors are passed on.
    """
    try:
        store = open_store()
    except IndexUnavailableError as exc:
        if settings.chroma_url:
            raise
        failure = exc
    else:
        try:
            store.drop()
            return store, ""
        except IndexUnavailableError as exc:
            store.close()  # released first: chromadb would hand the moved files to a new client
            if settings.chroma_url:
                raise
            failure = exc
    log.warning("setting the index aside: %s", failure)
    moved = set_aside(settings.chroma_dir)
    store = open_store()
    store.drop()
    why = getattr(failure, "reason", "") or str(failure)
    return store, f"the index at {settings.chroma_dir} was unusable ({why}); moved it to {moved}"


def store_stamp(chroma_dir: Path) -> tuple[int, int, int] | None:
    """(inode, size, mtime in ns) of the embedded store's database file, or None.

    Every commit (from any process) writes that file, so while its stamp stands the
    collection's count and version stand too, and a query needs no Chroma round trip
    to know its caches are fresh. A server (``chroma_url``) has no file here: None.
    None too while the file was written in the last two seconds: on a file system with
    coarse timestamps a second write could keep the first one's stamp.
    """
    try:
        st = (chroma_dir / "chroma.sqlite3").stat()
    except OSError:
        return None
    if time.time_ns() - st.st_mtime_ns < 2_000_000_000:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns
