"""Find essay files under the given paths and read them defensively.

Everything that can go wrong with a file on disk (missing, unreadable, binary,
not UTF-8, empty, huge, a symlink loop, gone or swapped for a FIFO since it was
found) becomes a :class:`Problem`: one line naming the file and the reason.
Ingestion reports it and goes on.

A file whose name isn't UTF-8 or holds control characters is ingested under its
escaped name (``bad\\xffname.md``, see :func:`assistant.domain.display_name`): that
name is its source, its id and the path stored with it; only :attr:`Candidate.real_path`
keeps the name as the OS spells it, to read the file.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from assistant.domain import display_name
from assistant.ingest.charset import decode_page
from assistant.ingest.html import extract_page, looks_like_html, page_markdown

# Web pages: their article is extracted and kept as a Markdown snapshot (read_page).
PAGE_SUFFIXES = frozenset({".html", ".htm"})
ESSAY_SUFFIXES = frozenset({".md", ".markdown", ".txt"}) | PAGE_SUFFIXES
# Files that describe a folder rather than being essays in it.
_NOT_ESSAYS = ("readme", "license", "licence", "changelog", "contributing", "code_of_conduct")


@dataclass(frozen=True)
class Candidate:
    """A file that looks like an essay: where it is and what it is called in the index."""

    path: Path  # absolute, as found (symlinks not resolved, so the name stays the user's);
    # the part under ``root`` escaped like ``source`` when the name needs it
    root: Path  # the folder (or file) given to ingest, absolute
    source: str  # path relative to root, "/"-separated, escaped; the name for a file root
    on_disk: Path | None = None  # the OS's own path, when ``path`` had to be escaped
    url: str = ""  # for an essay fetched from a URL (``source`` too); path is its copy

    @property
    def is_page(self) -> bool:
        """A web page, read by :func:`read_page` rather than as Markdown."""
        return bool(self.url) or self.path.suffix.lower() in PAGE_SUFFIXES

    @property
    def real_path(self) -> Path:
        """The path to open: ``path`` may be an escaped name no file has."""
        return self.on_disk or self.path


@dataclass(frozen=True)
class Problem:
    path: str
    reason: str

    def __post_init__(self) -> None:
        # One line of valid UTF-8, whatever the name: no surrogate, newline or escape.
        object.__setattr__(self, "path", display_name(self.path))
        object.__setattr__(self, "reason", display_name(self.reason))

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class EssayFile:
    candidate: Candidate
    text: str
    sha256: str
    size: int
    mtime_ns: int
    # A web page's essay text of record (its Markdown snapshot); chunks point into it.
    snapshot: Path | None = None


def is_essay_name(name: str) -> bool:
    lower = name.lower()
    if lower.startswith((".", "_", "~")) or lower.endswith("~"):
        return False
    stem, suffix = os.path.splitext(lower)
    return suffix in ESSAY_SUFFIXES and stem not in _NOT_ESSAYS


def discover(root: Path) -> Iterator[Candidate | Problem]:
    """Yield essay candidates under ``root`` (a folder or a single file), and problems."""
    root = Path(os.path.abspath(root))
    try:
        st = root.stat()
    except OSError as exc:
        yield Problem(str(root), _os_reason(exc, missing="path does not exist"))
        return
    if not _is_utf8(str(root)):
        # Every chunk stores its root, and Chroma stores only UTF-8: names *under* a
        # root are escaped, the root itself is the user's to rename.
        yield Problem(str(root), _not_utf8_root(stat.S_ISREG(st.st_mode)))
        return
    if stat.S_ISREG(st.st_mode):
        if os.path.splitext(root.name.lower())[1] not in ESSAY_SUFFIXES:
            yield Problem(str(root), "not a .md, .markdown, .txt, .html or .htm file; skipped")
            return
        yield Candidate(path=root, root=root, source=display_name(root.name))
        return
    if not stat.S_ISDIR(st.st_mode):
        yield Problem(str(root), "not a regular file or folder; skipped")
        return
    yield from _walk(root)


def _walk(root: Path) -> Iterator[Candidate | Problem]:
    seen_dirs: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            st = folder.stat()
        except OSError as exc:
            yield Problem(str(folder), _os_reason(exc))
            continue
        if (st.st_dev, st.st_ino) in seen_dirs:
            yield Problem(str(folder), "symlink loop (folder already visited); skipped")
            continue
        seen_dirs.add((st.st_dev, st.st_ino))
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            yield Problem(str(folder), _os_reason(exc))
            continue
        subdirs = []
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith("."):
                continue  # .git, .venv, editor swap files: never essays
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
                is_file = entry.is_file(follow_symlinks=True)
            except OSError as exc:
                yield Problem(str(path), _os_reason(exc))
                continue
            if is_dir:
                subdirs.append(path)
            elif is_essay_name(entry.name):
                if is_file:
                    yield _candidate(path, root)
                elif entry.is_symlink() and not path.exists():
                    yield Problem(str(path), _symlink_reason(path))
                else:
                    yield Problem(str(path), "not a regular file; skipped")
        stack.extend(reversed(subdirs))


def _candidate(path: Path, root: Path) -> Candidate:
    relative = path.relative_to(root).as_posix()
    source = display_name(relative)
    if source == relative:
        return Candidate(path=path, root=root, source=source)
    return Candidate(path=root / source, root=root, source=source, on_disk=path)


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_utf8_root(is_file: bool) -> str:
    how = "rename it, or ingest the folder that holds it" if is_file else "rename it to ingest it"
    return f"path is not valid UTF-8 (its bytes are shown as \\xNN); skipped: {how}"


def _symlink_reason(path: Path) -> str:
    try:
        path.stat()
    except OSError as exc:
        return _os_reason(exc)
    return "broken symlink; skipped"


def _os_reason(exc: OSError, missing: str = "file disappeared; skipped") -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop; skipped"
    if exc.errno == errno.ENOENT:
        filename = exc.filename if isinstance(exc.filename, str) else ""
        return "broken symlink; skipped" if os.path.islink(filename) else missing
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied; skipped (make it readable to ingest it)"
    return f"cannot read ({exc.strerror or exc}); skipped"


def read_essay(candidate: Candidate, max_bytes: int) -> EssayFile | Problem:
    """Read and validate one Markdown or text file; never raises for a bad file."""
    got = _read_bytes(candidate, max_bytes)
    if isinstance(got, Problem):
        return got
    data, st = got
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Problem(
            str(candidate.path),
            f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "skipped — save it as UTF-8 to ingest it",
        )
    return EssayFile(
        candidate=candidate,
        text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
    )


def read_page(
    candidate: Candidate,
    max_bytes: int,
    sidecar: dict[str, str],
    write_snapshot: Callable[[str, str], Path],
) -> EssayFile | Problem:
    """Read a web page (an ``.html`` file, or a URL's fetched copy described by
    ``sidecar``) and write its essay text of record, a Markdown snapshot. The returned
    file's text, hash and ``snapshot`` are the snapshot's; its size and mtime the page's,
    so an unchanged page is not read again."""
    got = _read_bytes(candidate, max_bytes)
    if isinstance(got, Problem):
        return got
    data, st = got
    name = candidate.url or str(candidate.path)  # a URL is named, never its copy
    declared = sidecar.get("charset", "")
    if sidecar.get("content_type", "text/html") in ("text/html", "application/xhtml+xml"):
        page_text = decode_page(data, declared)
        if not looks_like_html(page_text):
            return Problem(name, "not an HTML page (no HTML tags in it); skipped")
        page = extract_page(page_text, candidate.url)
        if isinstance(page, str):
            return Problem(name, f"{page}; skipped")
        text = page_markdown(page)
    else:  # Markdown or plain text served over HTTP: its text is the essay as it is
        text = decode_page(data, declared or "utf-8")
    snapshot = write_snapshot(candidate.source, text)
    return EssayFile(
        candidate=candidate,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        snapshot=snapshot,
    )


def _read_bytes(candidate: Candidate, max_bytes: int) -> tuple[bytes, os.stat_result] | Problem:
    """The file's bytes and stat, or why they can't be used (missing, not a regular
    file, too big, empty, binary)."""
    name = candidate.url or str(candidate.path)  # a URL is named, never its hashed copy
    try:
        # O_NONBLOCK: a file swapped for a FIFO since discovery must not block open()
        # forever (fstat below then refuses it); a regular file reads as usual.
        fd = os.open(candidate.real_path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                return Problem(name, "not a regular file; skipped")
            if st.st_size > max_bytes:
                return Problem(name, _too_big(st.st_size, max_bytes))
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        return Problem(name, _os_reason(exc))
    if len(data) > max_bytes:  # grew while we read it
        return Problem(name, _too_big(len(data), max_bytes))
    if not data.strip():
        return Problem(name, "empty file; skipped")
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Problem(name, "binary file (contains NUL bytes); skipped")
    return data, st


def _too_big(size: int, max_bytes: int) -> str:
    return (
        f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.1f} MB limit; skipped "
        "(raise CAREER_ASSISTANT_MAX_FILE_MB to ingest it)"
    )
