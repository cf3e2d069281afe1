"""The question log: one JSON line per question asked on any surface, the input of
`career-assistant curate`.

``<data dir>/questions.jsonl`` keeps, per question: an answer id, the time (UTC), the
surface (web, api, discord, cli), the question and the standalone query, whether it was
refused and why, the best dense cosine, the best support score of a cited sentence, the
cited essays, the top three passages retrieved and the generator. It never keeps a user
id, an IP address, a Discord id or the earlier turns (the standalone query carries what
the answer used of them). ``Settings.question_log = false`` turns it off.

Appends are safe under concurrency: each record is one ``os.write`` of one line to a
file opened ``O_APPEND``, under a lock in this process and ``flock`` across processes,
so lines never interleave. Logging never breaks an answer: a write that fails is logged
and dropped. A file that would pass ``Settings.question_log_mb`` is renamed to
``questions.1.jsonl`` (replacing the one before) and a new one begun, so the log stays
bounded; readers take the older file first.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
import os
import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.domain import Answer

try:  # POSIX; elsewhere the in-process lock and O_APPEND are what is left
    import fcntl
except ImportError:  # pragma: no cover - not on the Linux this runs on
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

QUESTIONS_FILE = "questions.jsonl"
FEEDBACK_FILE = "feedback.jsonl"
SURFACES = ("web", "api", "discord", "cli")
# Passages kept per record: enough to see which essays came close, no passage text.
TOP_HITS = 3
# One lock for every log file of this process: threads of the web chat and the API
# append to the same file through different objects. flock alone would serialise them
# too (each write opens its own file description), the lock spares the syscalls.
_WRITE_LOCK = threading.Lock()
_SURROGATES = re.compile("[\ud800-\udfff]")
_VOTES = {"like": True, "true": True, "dislike": False, "false": False}


def append_line(path: Path, record: dict[str, Any], max_bytes: int = 0) -> None:
    """Append ``record`` as one JSON line; raises OSError when the file can't be written.
    When the line would take the file past ``max_bytes`` (0 = no limit), the file is
    first renamed to :func:`rotated` and the line begins a new one.

    Private to this user (0600): the log holds what people asked."""
    # backslashreplace: a lone surrogate becomes the JSON escape \udcXX, never invalid UTF-8.
    data = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", "backslashreplace")
    with _WRITE_LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = _locked(path)
        try:
            size = os.fstat(fd).st_size
            if max_bytes and size and size + len(data) > max_bytes:
                # Renamed under the lock; a process waiting on the old file finds it
                # renamed once it has the lock, and opens the new one (see _locked).
                os.replace(path, rotated(path))
                os.close(fd)
                fd = _locked(path)
            view = memoryview(data)
            while view:  # a regular file takes it whole; a short write goes on, still locked
                view = view[os.write(fd, view) :]
        finally:
            os.close(fd)


def _locked(path: Path) -> int:
    """``path`` opened for appending, locked, and still the file at ``path``: another
    process may have rotated it while this one waited for the lock, and a rotation by
    this one then would push the new file over the older one."""
    while True:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        if fcntl is None:
            return fd
        fcntl.flock(fd, fcntl.LOCK_EX)  # released by close
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)


def rotated(path: Path) -> Path:
    """Where ``questions.jsonl`` goes when it is full: ``questions.1.jsonl``."""
    return path.with_name(f"{path.stem}.1{path.suffix}")


def log_bytes(settings: Settings) -> int:
    return int(settings.question_log_mb * 1024 * 1024)


def new_answer_id() -> str:
    """A random id joining a logged question to the votes on its answer."""
    return uuid.uuid4().hex


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def question_record(
    question: str, answer: Answer, surface: str, answer_id: str, max_chars: int
) -> dict[str, Any]:
    """What the log keeps of one answered question (see the module docstring)."""
    cited = list(dict.fromkeys(c.source for c in answer.citations))
    return {
        "id": answer_id,
        "ts": utc_now(),
        "surface": surface,
        "question": question[:max_chars],
        "query": answer.query[:max_chars],
        "refused": answer.refused,
        "reason": answer.reason,
        "best_score": round(float(answer.best_score), 4),
        "support": round(max(c.score for c in answer.citations), 4) if answer.citations else None,
        "cited": cited,
        "top": [
            {
                "source": h.chunk.source,
                "title": h.chunk.title,
                "heading": h.chunk.heading_path,
                "score": round(float(h.score), 4),
            }
            for h in answer.hits[:TOP_HITS]
        ],
        "generator": answer.generator,
    }


class QuestionLog:
    """Appends answered questions to ``<data dir>/questions.jsonl``; a no-op when off."""

    def __init__(
        self, path: Path, *, enabled: bool = True, max_chars: int = 4000, max_bytes: int = 0
    ) -> None:
        self.path = path
        self.enabled = enabled
        self.max_chars = max_chars
        self.max_bytes = max_bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> QuestionLog:
        return cls(
            settings.data_dir / QUESTIONS_FILE,
            enabled=settings.question_log,
            max_chars=settings.max_question_chars,
            max_bytes=log_bytes(settings),
        )

    def record(
        self, question: str, answer: Answer, surface: str, answer_id: str | None = None
    ) -> str:
        """Log one answer; returns its id (made here unless given). Never raises for I/O."""
        answer_id = answer_id or new_answer_id()
        if not self.enabled:
            return answer_id
        try:
            record = question_record(question, answer, surface, answer_id, self.max_chars)
            append_line(self.path, record, self.max_bytes)
        except OSError as exc:
            # The answer matters more than its log line: say so once per failure, go on.
            log.warning("question not logged (%s): %s", self.path, exc.strerror or exc)
        return answer_id


def _lines(path: Path) -> Iterator[dict[str, Any] | None]:
    """Each non-blank line of a log, the older file first, as its JSON object, or None when
    it isn't one (a line cut by a full disk, a hand edit, nesting too deep for the parser)."""
    for part in (rotated(path), path):
        yield from _file_lines(part)


def _file_lines(path: Path) -> Iterator[dict[str, Any] | None]:
    try:
        fh = path.open("rb")
    except FileNotFoundError:
        return
    with fh:
        for raw in fh:
            if not raw.strip():
                continue
            try:
                item = json.loads(raw)
            except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
                item = None
            yield item if isinstance(item, dict) else None


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of a log, skipping what isn't one: a curator's report must not
    fail on one bad line."""
    return (item for item in _lines(path) if item is not None)


def clean_text(value: Any) -> str:
    """``value`` as text UTF-8 can hold: a string or a number as text, with each lone
    surrogate (logged as the escape \\udcXX, read back as itself) made U+FFFD; anything
    else (a list, null, a bool) is ""."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return _SURROGATES.sub("\ufffd", str(value))


def number(value: Any) -> float | None:
    """A JSON number as a finite float; None for anything else ("high", true, NaN, an
    int too large for a float)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        out = float(value)
    except OverflowError:
        return None
    return out if math.isfinite(out) else None


def vote(value: Any) -> bool | None:
    """A vote read strictly: true/false, or "like"/"dislike"/"true"/"false"; else None
    (bool("false") would be a 👍)."""
    if isinstance(value, bool):
        return value
    return _VOTES.get(value.strip().lower()) if isinstance(value, str) else None


def _hit(hit: dict[str, Any]) -> dict[str, Any]:
    keys = ("source", "title", "heading")
    return {**{k: clean_text(hit.get(k)) for k in keys}, "score": number(hit.get("score")) or 0.0}


def clean_record(item: dict[str, Any]) -> dict[str, Any] | None:
    """A logged question with every field of its type, whatever the line held (the log
    may be hand-edited, cut short or from an older version); None without a question.
    Idempotent, and keeps ``liked`` and ``comment`` when a vote was joined."""
    question = clean_text(item.get("question"))
    if not question.strip():
        return None
    query = clean_text(item.get("query"))
    reason = item.get("reason")
    top, cited = item.get("top"), item.get("cited")
    return {
        **{k: clean_text(item.get(k)) for k in ("id", "ts", "surface", "generator")},
        "question": question,
        "query": query if query.strip() else question,
        "refused": vote(item.get("refused")) is True,
        "reason": clean_text(reason) if isinstance(reason, str) else None,
        "best_score": number(item.get("best_score")) or 0.0,
        "support": number(item.get("support")),
        "cited": [clean_text(c) for c in cited if isinstance(c, str)]
        if isinstance(cited, list)
        else [],
        "top": [_hit(h) for h in top if isinstance(h, dict)] if isinstance(top, list) else [],
        "liked": vote(item.get("liked")),
        "comment": clean_text(item.get("comment")),
    }


def feedback_votes(path: Path) -> dict[str, dict[str, Any]]:
    """{answer id: {"liked", "comment"}} from the web chat's feedback log; the last clear
    vote on an answer wins. Votes recorded before answers had ids are not joined."""
    votes: dict[str, dict[str, Any]] = {}
    for item in read_jsonl(path):
        answer_id, liked = item.get("answer_id"), vote(item.get("liked"))
        if isinstance(answer_id, str) and answer_id and liked is not None:
            votes[answer_id] = {"liked": liked, "comment": clean_text(item.get("comment"))}
    return votes


def _since_ok(ts: str, since: dt.date | None) -> bool:
    if since is None:
        return True
    try:
        return dt.datetime.fromisoformat(ts).date() >= since
    except ValueError:
        return False


def load_log(data_dir: Path, since: dt.date | None = None) -> tuple[list[dict[str, Any]], int]:
    """The logged questions (from ``since`` on) as :func:`clean_record` makes them, each
    with ``liked`` (True, False or None) and ``comment`` joined from the feedback log by
    answer id; and how many lines were skipped (not JSON, or no question in them)."""
    votes = feedback_votes(data_dir / FEEDBACK_FILE)
    records, skipped = [], 0
    for item in _lines(data_dir / QUESTIONS_FILE):
        record = clean_record(item) if item is not None else None
        if record is None:
            skipped += 1
        elif _since_ok(record["ts"], since):
            records.append({**record, "liked": None, "comment": "", **votes.get(record["id"], {})})
    return records, skipped


def load_questions(data_dir: Path, since: dt.date | None = None) -> list[dict[str, Any]]:
    """The logged questions of :func:`load_log`, without the count of skipped lines."""
    return load_log(data_dir, since)[0]
