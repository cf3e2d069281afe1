"""What an ingest has to do: which essay files exist, and which of them changed.

Deciding is kept apart from writing (``pipeline``) so that the rules for "changed"
read in one place: same path and stat means unchanged without reading the file; a
changed stat with the same hash only refreshes the manifest; only a new hash is
chunked (and later embedded).

A web page (an ``.html`` file or a URL's fetched copy) follows the same rules; its hash
is that of its Markdown snapshot, so a page whose article did not change is unchanged
even when its menus or ads did.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from assistant.domain import Chunk
from assistant.ingest.discover import (
    Candidate,
    EssayFile,
    Problem,
    discover,
    read_essay,
    read_page,
)
from assistant.ingest.fetch import PageStore, is_url, url_candidate
from assistant.ingest.manifest import FileRecord, Manifest
from assistant.ingest.report import IngestReport

Reader = Callable[[Candidate], EssayFile | Problem]


@dataclass
class Pending:
    """A changed file, chunked and waiting to be embedded and written."""

    file: EssayFile
    chunks: list[Chunk]
    is_new: bool

    def record(self) -> FileRecord:
        """The manifest's record of this file once it is written."""
        cand = self.file.candidate
        return FileRecord(
            source=cand.source,
            path=str(cand.path),
            root=str(cand.root),
            sha256=self.file.sha256,
            size=self.file.size,
            mtime_ns=self.file.mtime_ns,
            chunks=len(self.chunks),
            snapshot=str(self.file.snapshot or ""),
        )


@dataclass(frozen=True)
class Fetching:
    """How URLs given to ingest are fetched: into ``store``, again only on ``refresh``."""

    store: PageStore
    refresh: bool
    timeout: float
    max_bytes: int


def given_roots(
    paths: Sequence[Path | str] | None, corpus: Sequence[Path], store: PageStore
) -> list[Path | str]:
    """Paths made absolute, URLs kept as given; no paths means the corpus plus every URL
    fetched before (so a plain ``ingest``, or ``serve``'s, keeps them indexed)."""
    if paths:
        return [p if isinstance(p, str) and is_url(p) else Path(os.path.abspath(p)) for p in paths]
    return [*(Path(os.path.abspath(p)) for p in corpus), *store.remembered()]


def read_candidate(cand: Candidate, store: PageStore, max_bytes: int) -> EssayFile | Problem:
    """A Markdown file as it is; a web page as its snapshot (written now)."""
    if not cand.is_page:
        return read_essay(cand, max_bytes)
    sidecar = store.sidecar(cand.url) if cand.url else {}
    return read_page(cand, max_bytes, sidecar, store.write_snapshot)


def find_candidates(
    roots: list[Path | str], report: IngestReport, fetching: Fetching
) -> tuple[list[Candidate], set[str]]:
    """Essay files under ``roots`` (paths, and URLs as str); a missing root, a URL that
    can't be fetched or an unusable file becomes a problem."""
    candidates: list[Candidate] = []
    scanned: set[str] = set()
    for root in roots:
        if isinstance(root, str):
            # A URL's copy lives in the fetched folder: scanning it lets a URL whose copy
            # was deleted leave the index.
            scanned.add(str(fetching.store.fetched))
            found, problem = url_candidate(
                root, fetching.store, fetching.refresh, fetching.timeout, fetching.max_bytes
            )
            if problem is not None:
                report.problems.append(problem)
            if found is None:
                report.failed_urls.append(root)
            else:
                candidates.append(found)
            continue
        if not os.path.lexists(root):
            report.missing_paths.append(str(root))
            report.problems.append(Problem(str(root), "path does not exist"))
            continue
        scanned.add(str(root))
        for item in discover(root):
            if isinstance(item, Problem):
                report.problems.append(item)
            else:
                candidates.append(item)
    report.files = len(candidates)
    return candidates, scanned


def plan_changes(
    candidates: list[Candidate],
    manifest: Manifest,
    report: IngestReport,
    *,
    read_file: Reader,
    chunk_file: Callable[[EssayFile], list[Chunk]],
    store: PageStore,
) -> tuple[list[Pending], set[str]]:
    """The files to (re)write, and every source name seen; refreshes manifest stats of
    files whose content is unchanged (the caller saves the manifest)."""
    claimed: dict[str, str] = {}
    pending: list[Pending] = []
    for cand in candidates:
        path = str(cand.path)
        shown = cand.url or path  # a URL is named, never its hashed copy
        rec = manifest.files.get(cand.source)
        if rec is not None and store.contains(rec.path):
            # Rebuilt from the index, which knows only the snapshot: the page itself is
            # this candidate, not another file of the same name.
            rec.path = path
        owner = _owner(cand, claimed, rec)
        if owner is not None and owner != path:
            report.problems.append(
                Problem(
                    shown,
                    f"has the same name {cand.source!r} as {owner}; skipped "
                    "(rename it, or ingest the folder that holds both)",
                )
            )
            continue
        claimed[cand.source] = path
        if rec is not None and rec.path == path and _same_stat(rec, cand.path):
            report.unchanged += 1
            continue
        read = read_file(cand)
        if isinstance(read, Problem):
            report.problems.append(_kept(read, rec))
            continue
        if rec is not None and rec.sha256 == read.sha256:
            rec.size, rec.mtime_ns, rec.path = read.size, read.mtime_ns, path
            rec.root, rec.snapshot = str(cand.root), str(read.snapshot or "")
            report.unchanged += 1
            continue
        chunks = chunk_file(read)
        if not chunks:
            report.problems.append(
                _kept(Problem(shown, "no visible text after removing markup; skipped"), rec)
            )
            continue
        if cand.url:
            # A fetched page is cited by the URL it came from: a ``url:`` in its front
            # matter is the page's own claim (javascript:, another site) and never wins.
            chunks = [replace(c, url=cand.url) for c in chunks]
        pending.append(Pending(read, chunks, is_new=rec is None))
    return pending, set(claimed)


def under_any(rec: FileRecord, scanned: set[str]) -> bool:
    """The file was indexed from one of the paths this run scanned."""
    return rec.root in scanned or rec.path in scanned


def _owner(cand: Candidate, claimed: dict[str, str], rec: FileRecord | None) -> str | None:
    """Another file that already holds this source name, in this run or still on disk."""
    owner = claimed.get(cand.source)
    if (
        owner is None
        and rec is not None
        and rec.path != str(cand.path)
        and os.path.exists(rec.path)
    ):
        owner = rec.path
    return owner


def _same_stat(rec: FileRecord, path: Path) -> bool:
    try:
        st = path.stat()
    except OSError:
        return False
    if rec.snapshot and not os.path.isfile(rec.snapshot):
        return False  # the page is unchanged but its snapshot is gone: write it again
    return bool(rec.sha256) and rec.size == st.st_size and rec.mtime_ns == st.st_mtime_ns


def _kept(problem: Problem, rec: FileRecord | None) -> Problem:
    if rec is None:
        return problem
    return Problem(problem.path, problem.reason + "; its previously indexed version is kept")


def unique(chunks: list[Chunk]) -> list[Chunk]:
    """``chunks`` without repeated ids (the first of each), in order."""
    seen: dict[str, Chunk] = {}
    for c in chunks:
        seen.setdefault(c.id, c)
    return list(seen.values())


def commit_groups(pending: list[Pending], size: int) -> Iterator[list[Pending]]:
    """``pending`` in runs of about ``size`` chunks: each run is written, committed and
    recorded in the manifest at once, so a killed ingest loses at most one run."""
    group: list[Pending] = []
    count = 0
    for item in pending:
        group.append(item)
        count += len(item.chunks)
        if count >= size:
            yield group
            group, count = [], 0
    if group:
        yield group
