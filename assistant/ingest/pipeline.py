"""Ingestion: essay files in, chunks and vectors in the index, incrementally and safely.

Order of writes for each changed file: upsert its new chunks, delete its stale
ones, then record it in the manifest. A kill at any point leaves the index
answering (old chunks, new ones, or both) and the manifest still naming the
old hash, so the next run redoes that file; chunks already stored are found by
id and not embedded again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.domain import Chunk, Essay, display_name
from assistant.ingest.chunking import chunk_essay
from assistant.ingest.discover import EssayFile, Problem
from assistant.ingest.manifest import FileRecord, Manifest, manifest_path
from assistant.ingest.markdown import PARSER_VERSION, parse_essay
from assistant.ingest.plan import Pending, find_candidates, plan_changes, under_any
from assistant.ingest.report import IngestReport, NoProgress, Progress, ProgressFactory, ingest_lock
from assistant.search import INSTRUCTIONS_FLAG, ChunkIndex, LocalEmbeddings


class Ingester:
    """Brings the index in line with essay files on disk."""

    def __init__(
        self,
        settings: Settings,
        embeddings: LocalEmbeddings | None = None,
        progress: ProgressFactory | None = None,
        on_file: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self.embeddings = embeddings or LocalEmbeddings(settings)
        self.progress = progress or (lambda total, desc: NoProgress())
        self.on_file = on_file or (lambda line: None)

    def fingerprint(self) -> dict[str, Any]:
        """What the vectors and chunks depend on; a change means a rebuild."""
        return {
            "model": str(self.embeddings.model_path),
            "dtype": self.embeddings.dtype,
            "chunk_tokens": self.settings.chunk_tokens,
            "parser": PARSER_VERSION,
        }

    def run(self, paths: list[Path] | None = None, rebuild: bool = False) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport(backend=self.embeddings.backend)
        roots = [Path(os.path.abspath(p)) for p in (paths or list(self.settings.corpus))]
        with ingest_lock(self.settings.data_dir):
            index = self._open_index(rebuild, report)
            try:
                self._sync(index, roots, rebuild, report)
            finally:
                # Released, so a server in this process that re-reads the store from disk
                # after an ingest gets a fresh view rather than this client's System.
                index.close()
        report.seconds = time.perf_counter() - started
        return report

    def _open_index(self, rebuild: bool, report: IngestReport) -> ChunkIndex:
        """The index to write: emptied for ``rebuild`` (even when its files are damaged),
        else checked to hold vectors of this embedding model before anything is written."""
        if rebuild:
            index, note = ChunkIndex.rebuilt(self.settings, self.embeddings)
            if note:
                report.notes.append(note)
            return index
        index = ChunkIndex(self.settings, self.embeddings, create=True)
        try:
            index.verify_model()
        except BaseException:
            index.close()
            raise
        return index

    def _sync(
        self, index: ChunkIndex, roots: list[Path], rebuild: bool, report: IngestReport
    ) -> None:
        manifest = self._load_manifest(index, rebuild, report)
        candidates, scanned = find_candidates(roots, report)
        max_bytes = int(self.settings.max_file_mb * 1_000_000)
        pending, seen = plan_changes(
            candidates, manifest, report, max_bytes, lambda read: self.chunk_file(read, report)
        )
        manifest.save(self._manifest_file)  # refreshed stats of unchanged files
        self._remove_deleted(index, manifest, scanned, seen, report)
        self._write(index, manifest, pending, report)
        report.chunks_in_index = index.count()
        report.indexed_from_paths = sum(1 for r in manifest.files.values() if under_any(r, scanned))

    # -- steps -------------------------------------------------------------------

    @property
    def _manifest_file(self) -> Path:
        s = self.settings
        return manifest_path(s.data_dir, s.collection, s.chroma_url)

    def _load_manifest(self, index: ChunkIndex, rebuild: bool, report: IngestReport) -> Manifest:
        """What the index holds: the saved manifest when it still describes the index, else
        rebuilt from the index itself (``rebuild`` has already emptied it)."""
        fp = self.fingerprint()
        manifest = None if rebuild else Manifest.load(self._manifest_file)
        if manifest is not None and manifest.fingerprint != fp:
            report.notes.append(
                "embedding model or chunking changed since the last ingest; rebuilding"
            )
            index.drop()
            manifest = None
        elif manifest is not None and not manifest.describes(index.collection_id, index.count()):
            # Never call a file "unchanged" because the manifest says so while the index
            # lost it (emptied, deleted, rebuilt by another machine sharing a server).
            report.notes.append(
                f"the index at {index.location} no longer holds what the manifest lists; "
                "checking every file against the index"
            )
            manifest = None
        if manifest is None:
            count = index.count()
            manifest = Manifest.from_index_metadata(fp, index.all_metadata() if count else [])
            if manifest.files:
                report.notes.append(f"manifest rebuilt from the index at {index.location}")
        manifest.collection_id = index.collection_id
        manifest.save(self._manifest_file)
        return manifest

    def chunk_file(self, read: EssayFile, report: IngestReport) -> list[Chunk]:
        cand = read.candidate
        parsed = parse_essay(read.text, cand.source)
        if parsed.front_matter_error:
            report.problems.append(Problem(str(cand.path), parsed.front_matter_error))
        essay = Essay(
            source=cand.source,
            path=str(cand.path),
            title=parsed.title,
            sha256=read.sha256,
            date=parsed.meta["date"],
            author=parsed.meta["author"],
            categories=parsed.meta["categories"],
            url=parsed.meta["url"],
        )
        chunks = chunk_essay(essay, parsed.blocks, self.embeddings, self.settings.chunk_tokens)
        flagged = [c for c in chunks if INSTRUCTIONS_FLAG in c.flags]
        if flagged:
            # The curator should know: an essay that talks to the assistant is suspect.
            spans = ", ".join(f"{c.start}-{c.end}" for c in flagged[:5])
            report.notes.append(
                f"{cand.source}: {len(flagged)} passage(s) give orders to an AI assistant "
                f"(chars {spans}); they are flagged, never quoted and never shown to an LLM"
            )
        root = str(cand.root)
        return [_with_root(c, root) for c in chunks]

    def _remove_deleted(
        self,
        index: ChunkIndex,
        manifest: Manifest,
        scanned: set[str],
        seen: set[str],
        report: IngestReport,
    ) -> None:
        for source, rec in list(manifest.files.items()):
            legacy = display_name(source) != source  # indexed before names were escaped
            if source in seen or not under_any(rec, scanned):
                continue
            if os.path.exists(rec.path) and not legacy:
                continue
            ids = index.ids_for_source(source)
            index.delete(ids)
            index.commit()
            del manifest.files[source]
            manifest.save(self._manifest_file)
            report.removed += 1
            report.chunks_removed += len(ids)
            self.on_file(f"removed {display_name(source)} ({len(ids)} chunks)")

    def _write(
        self, index: ChunkIndex, manifest: Manifest, pending: list[Pending], report: IngestReport
    ) -> None:
        if not pending:
            return
        all_ids = [c.id for p in pending for c in p.chunks]
        stored = index.existing_ids(all_ids)
        to_embed = sum(1 for i in set(all_ids) if i not in stored)
        bar = self.progress(to_embed, "embedding")
        try:
            for group in _groups(pending, self.settings.commit_every):
                fresh = _unique([c for p in group for c in p.chunks if c.id not in stored])
                vectors = self._embed(fresh, bar)
                by_id = dict(zip([c.id for c in fresh], vectors, strict=True))
                for item in group:
                    self._commit(index, manifest, item, by_id, report)
                index.commit()  # a new collection version: readers everywhere reload
                stored.update(by_id)
        finally:
            bar.close()

    def _embed(self, chunks: list[Chunk], bar: Progress) -> list[Any]:
        out: list[Any] = []
        step = self.settings.embedding_batch_size * 2
        for lo in range(0, len(chunks), step):
            part = chunks[lo : lo + step]
            out.extend(self.embeddings.embed_array([c.embed_text for c in part]))
            bar.update(len(part))
        return out

    def _commit(
        self,
        index: ChunkIndex,
        manifest: Manifest,
        item: Pending,
        by_id: dict[str, Any],
        report: IngestReport,
    ) -> None:
        import numpy as np

        cand = item.file.candidate
        new = [c for c in item.chunks if c.id in by_id]
        kept = [c for c in item.chunks if c.id not in by_id]
        if new:
            index.upsert(new, np.stack([by_id[c.id] for c in new]))
        if kept:  # same text, maybe new offsets or title: refresh metadata, keep vectors
            index.update_metadata(kept)
        stale = index.ids_for_source(cand.source) - {c.id for c in item.chunks}
        index.delete(stale)
        manifest.files[cand.source] = FileRecord(
            source=cand.source,
            path=str(cand.path),
            root=str(cand.root),
            sha256=item.file.sha256,
            size=item.file.size,
            mtime_ns=item.file.mtime_ns,
            chunks=len(item.chunks),
        )
        manifest.save(self._manifest_file)
        report.chunks_embedded += len(new)
        report.chunks_removed += len(stale)
        if item.is_new:
            report.added += 1
        else:
            report.updated += 1
        self.on_file(f"indexed {cand.source} ({len(item.chunks)} chunks, {len(new)} embedded)")


def _with_root(chunk: Chunk, root: str) -> Chunk:
    from dataclasses import replace

    return replace(chunk, root=root)


def _unique(chunks: list[Chunk]) -> list[Chunk]:
    seen: dict[str, Chunk] = {}
    for c in chunks:
        seen.setdefault(c.id, c)
    return list(seen.values())


def _groups(pending: list[Pending], size: int) -> Iterator[list[Pending]]:
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
