"""Ingestion: essay files in, chunks and vectors in the index, incrementally and safely.

Changed files are written in commit groups of about ``commit_every`` chunks. For each
group, in this order: one upsert of its new chunks, one metadata update of its kept
ones, one delete of its stale ones, a commit (a new collection version), the vectors
of its passage units into the unit cache, and one manifest save. A kill at any point
leaves the index answering (old chunks, new ones, or both) and the manifest still
naming the old hashes of that group's files, so the next run redoes that group only;
chunks already stored are found by id and not embedded again, units already cached
are not embedded again.

Web pages (``.html`` files, and URLs) are indexed from their Markdown snapshots
(:mod:`assistant.ingest.fetch`): their chunks' ``path`` is the snapshot and their
``root`` the snapshot folder, so quotes and the viewer read the text the offsets index.
A plain ``ingest`` (no paths: the corpus) also re-reads every URL fetched before, from
its fetched copy; snapshots nothing names any more are deleted once the run is done.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.domain import Chunk, Essay, display_name
from assistant.ingest.chunking import chunk_essay
from assistant.ingest.discover import EssayFile, Problem
from assistant.ingest.fetch import PageStore
from assistant.ingest.manifest import Manifest, manifest_path, pages_path
from assistant.ingest.markdown import PARSER_VERSION, parse_essay
from assistant.ingest.plan import (
    Fetching,
    find_candidates,
    given_roots,
    plan_changes,
    read_candidate,
    under_any,
)
from assistant.ingest.report import IngestReport, NoProgress, ProgressFactory, ingest_lock
from assistant.ingest.writing import WARM_UNITS, GroupWriter
from assistant.search import (
    INSTRUCTIONS_FLAG,
    ChunkIndex,
    LocalEmbeddings,
    unit_cache_file,
)


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

    def run(
        self,
        paths: Sequence[Path | str] | None = None,
        rebuild: bool = False,
        refresh: bool = False,
    ) -> IngestReport:
        """Ingest ``paths`` (folders, files, http(s) URLs as str; default: the corpus and
        every URL fetched before). ``refresh`` fetches URLs again rather than reading
        their fetched copies."""
        started = time.perf_counter()
        report = IngestReport(backend=self.embeddings.backend)
        with ingest_lock(self.settings.data_dir):
            roots = given_roots(paths, self.settings.corpus, self._pages)
            index = self._open_index(rebuild, report)
            try:
                self._sync(index, roots, report, rebuild=rebuild, refresh=refresh, plain=not paths)
                if self.embeddings.needs_check:
                    # Nothing new was embedded, so the ONNX export was never checked: check
                    # it on the corpus's own chunks now, while this process may load torch.
                    texts = [c.embed_text for c in index.all_chunks()]
                    report.notes.append(self.embeddings.prepare(texts))
            finally:
                # Released, so a server in this process that re-reads the store from disk
                # after an ingest gets a fresh view rather than this client's System.
                index.close()
        report.backend = self.embeddings.backend  # auto may have moved to ONNX mid-run
        report.seconds = time.perf_counter() - started
        return report

    @property
    def _pages(self) -> PageStore:
        s = self.settings
        return PageStore(pages_path(s.data_dir, s.collection, s.chroma_url))

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
        self,
        index: ChunkIndex,
        roots: list[Path | str],
        report: IngestReport,
        *,
        rebuild: bool,
        refresh: bool,
        plain: bool,
    ) -> None:
        manifest = self._load_manifest(index, rebuild, report)
        store, s = self._pages, self.settings
        fetching = Fetching(store, refresh, s.fetch_timeout, int(s.max_file_mb * 1_000_000))
        candidates, scanned = find_candidates(roots, report, fetching)
        if plain:  # every URL ingested before was a root: drop those whose copy is gone
            scanned.add(str(store.fetched))
        pending, seen = plan_changes(
            candidates,
            manifest,
            report,
            read_file=lambda cand: read_candidate(cand, store, fetching.max_bytes),
            chunk_file=lambda read: self.chunk_file(read, report),
            store=store,
        )
        manifest.save(self._manifest_file)  # refreshed stats of unchanged files
        self._remove_deleted(index, manifest, scanned, seen, report)
        cached = unit_cache_file(self.settings.data_dir, self.embeddings).is_file()
        writer = GroupWriter(self.settings, self.embeddings, self.progress, self.on_file)
        writer.write(index, manifest, self._manifest_file, pending, report)
        if WARM_UNITS and not cached:
            writer.backfill_units(index, report)
        # Only now do the index and the manifest agree on which snapshots are in use.
        recs = manifest.files.values()
        store.sweep({r.snapshot or r.path for r in recs}, {r.source for r in recs})
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
            report.problems.append(Problem(cand.url or str(cand.path), parsed.front_matter_error))
        # A web page's chunks point into its snapshot, the text their offsets index.
        path = read.snapshot or cand.path
        essay = Essay(
            source=cand.source,
            path=str(path),
            title=parsed.title,
            sha256=read.sha256,
            date=parsed.meta["date"],
            author=parsed.meta["author"],
            categories=parsed.meta["categories"],
            url=cand.url or parsed.meta["url"],
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
        root = str(read.snapshot.parent if read.snapshot else cand.root)
        return [_with_root(c, root) for c in chunks]

    def _remove_deleted(
        self,
        index: ChunkIndex,
        manifest: Manifest,
        scanned: set[str],
        seen: set[str],
        report: IngestReport,
    ) -> None:
        """Drop essays whose files are gone: one lookup, one delete, one commit and one
        manifest save for all of them. A kill before the save finds their chunks gone
        and removes the records next time."""
        gone = []
        for source, rec in manifest.files.items():
            legacy = display_name(source) != source  # indexed before names were escaped
            if source in seen or not under_any(rec, scanned):
                continue
            if os.path.exists(rec.path) and not legacy:
                continue
            gone.append(source)
        if not gone:
            return
        stored = index.ids_by_source(gone)
        index.delete([i for source in gone for i in stored.get(source, ())])
        index.commit()
        for source in gone:
            del manifest.files[source]
        manifest.save(self._manifest_file)
        for source in gone:
            n = len(stored.get(source, ()))
            report.removed += 1
            report.chunks_removed += n
            self.on_file(f"removed {display_name(source)} ({n} chunks)")


def _with_root(chunk: Chunk, root: str) -> Chunk:
    from dataclasses import replace

    return replace(chunk, root=root)
