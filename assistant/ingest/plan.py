"""What an ingest has to do: which essay files exist, and which of them changed.

Deciding is kept apart from writing (``pipeline``) so that the rules for "changed"
read in one place: same path and stat means unchanged without reading the file; a
changed stat with the same hash only refreshes the manifest; only a new hash is
chunked (and later embedded).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from assistant.domain import Chunk
from assistant.ingest.discover import Candidate, EssayFile, Problem, discover, read_essay
from assistant.ingest.manifest import FileRecord, Manifest
from assistant.ingest.report import IngestReport


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
        )


def find_candidates(roots: list[Path], report: IngestReport) -> tuple[list[Candidate], set[str]]:
    """Essay files under ``roots``; a missing root or an unusable file becomes a problem."""
    candidates: list[Candidate] = []
    scanned: set[str] = set()
    for root in roots:
        if not os.path.lexists(root):
            report.missing_paths.append(str(root))
            report.problems.append(Problem(str(root), "path does not exist"))
            continue
        scanned.add(str(root))
        for found in discover(root):
            if isinstance(found, Problem):
                report.problems.append(found)
            else:
                candidates.append(found)
    report.files = len(candidates)
    return candidates, scanned


def plan_changes(
    candidates: list[Candidate],
    manifest: Manifest,
    report: IngestReport,
    max_bytes: int,
    chunk_file: Callable[[EssayFile], list[Chunk]],
) -> tuple[list[Pending], set[str]]:
    """The files to (re)write, and every source name seen; refreshes manifest stats of
    files whose content is unchanged (the caller saves the manifest)."""
    claimed: dict[str, str] = {}
    pending: list[Pending] = []
    for cand in candidates:
        path = str(cand.path)
        rec = manifest.files.get(cand.source)
        owner = _owner(cand, claimed, rec)
        if owner is not None and owner != path:
            report.problems.append(
                Problem(
                    path,
                    f"has the same name {cand.source!r} as {owner}; skipped "
                    "(rename it, or ingest the folder that holds both)",
                )
            )
            continue
        claimed[cand.source] = path
        if rec is not None and rec.path == path and _same_stat(rec, cand.path):
            report.unchanged += 1
            continue
        read = read_essay(cand, max_bytes)
        if isinstance(read, Problem):
            report.problems.append(_kept(read, rec))
            continue
        if rec is not None and rec.sha256 == read.sha256:
            rec.size, rec.mtime_ns, rec.path, rec.root = (
                read.size,
                read.mtime_ns,
                path,
                str(cand.root),
            )
            report.unchanged += 1
            continue
        chunks = chunk_file(read)
        if not chunks:
            report.problems.append(
                _kept(Problem(path, "no visible text after removing markup; skipped"), rec)
            )
            continue
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
