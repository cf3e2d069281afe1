"""Ingestion: essay files in, chunks and vectors in the index, incrementally and safely.

Changed files are written in commit groups of about ``commit_every`` chunks. For each
group, in this order: one upsert of its new chunks, one metadata update of its kept
ones, one delete of its stale ones, a commit (a new collection version), the vectors
of its passage units into the unit cache, and one manifest save. A kill at any point
leaves the index answering (old chunks, new ones, or both) and the manifest still
naming the old hashes of that group's files, so the next run redoes that group only;
chunks already stored are found by id and not embedded again, units already cached
are not embedded again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.domain import Chunk, Essay, display_name
from assistant.ingest.chunking import chunk_essay
from assistant.ingest.discover import EssayFile, Problem
from assistant.ingest.manifest import Manifest, manifest_path
from assistant.ingest.markdown import PARSER_VERSION, parse_essay
from assistant.ingest.plan import (
    Pending,
    commit_groups,
    find_candidates,
    plan_changes,
    under_any,
    unique,
)
from assistant.ingest.report import IngestReport, NoProgress, Progress, ProgressFactory, ingest_lock
from assistant.search import (
    INSTRUCTIONS_FLAG,
    ChunkIndex,
    LocalEmbeddings,
    UnitVectors,
    chunk_unit_texts,
    unit_cache_file,
)

# Embed the passage units (sentences, list items, titles, headings) of every new chunk at
# ingest, so that `ask` in a fresh process embeds only its question. It roughly doubles
# the model's share of an ingest of short essays; could become a setting.
WARM_UNITS = True


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
        cached = unit_cache_file(self.settings.data_dir, self.embeddings).is_file()
        self._write(index, manifest, pending, report)
        if WARM_UNITS and not cached:
            self._backfill_units(index, report)
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

    def _write(
        self, index: ChunkIndex, manifest: Manifest, pending: list[Pending], report: IngestReport
    ) -> None:
        if not pending:
            return
        all_ids = [c.id for p in pending for c in p.chunks]
        stored = index.existing_ids(all_ids)
        to_embed = sum(1 for i in set(all_ids) if i not in stored)
        units = self._unit_cache() if WARM_UNITS else None
        bar = self.progress(to_embed, "embedding")
        try:
            for group in commit_groups(pending, self.settings.commit_every):
                fresh = unique([c for p in group for c in p.chunks if c.id not in stored])
                vectors = self._embed(fresh, bar)
                by_id = dict(zip([c.id for c in fresh], vectors, strict=True))
                self._commit_group(index, group, by_id, report)
                if units is not None:
                    self._warm_units(units, [c for item in group for c in item.chunks], report)
                for item in group:  # recorded last: a kill before this redoes the group
                    manifest.files[item.file.candidate.source] = item.record()
                manifest.save(self._manifest_file)
                self._count(group, by_id, report)
                stored.update(by_id)
        finally:
            bar.close()
            if units is not None:
                units.save()  # folds this run's parts into the one cache file

    def _embed(self, chunks: list[Chunk], bar: Progress) -> list[Any]:
        out: list[Any] = []
        step = self.settings.embedding_batch_size * 2
        for lo in range(0, len(chunks), step):
            part = chunks[lo : lo + step]
            out.extend(self.embeddings.embed_array([c.embed_text for c in part]))
            bar.update(len(part))
        return out

    def _commit_group(
        self, index: ChunkIndex, group: list[Pending], by_id: dict[str, Any], report: IngestReport
    ) -> None:
        """Write a group's chunks to the index with one request of each kind, then commit."""
        import numpy as np

        chunks = unique([c for item in group for c in item.chunks])
        new = [c for c in chunks if c.id in by_id]
        kept = [c for c in chunks if c.id not in by_id]
        if new:
            index.upsert(new, np.stack([by_id[c.id] for c in new]))
        if kept:  # same text, maybe new offsets or title: refresh metadata, keep vectors
            index.update_metadata(kept)
        wanted = {c.id for c in chunks}
        sources = [item.file.candidate.source for item in group]
        stale = [i for ids in index.ids_by_source(sources).values() for i in ids - wanted]
        index.delete(stale)
        report.chunks_removed += len(stale)
        index.commit()  # a new collection version: readers everywhere reload

    def _unit_cache(self) -> UnitVectors:
        emb = self.embeddings
        return UnitVectors(emb, unit_cache_file(self.settings.data_dir, emb))

    def _warm_units(self, units: UnitVectors, chunks: list[Chunk], report: IngestReport) -> None:
        """Cache the vectors of the passage units of ``chunks``, so that an answer in a fresh
        process embeds only its question. Units already cached cost a hash each."""
        started = time.perf_counter()
        report.units_embedded += units.add(t for c in chunks for t in chunk_unit_texts(c))
        units.save_part()
        report.units_seconds += time.perf_counter() - started

    def _backfill_units(self, index: ChunkIndex, report: IngestReport) -> None:
        """Once, for an index whose unit cache is missing (built before ingest cached units,
        or the cache was deleted): cache the units of every chunk, a part per group."""
        chunks = index.all_chunks() if index.count() else []
        if not chunks:
            return
        units, step = self._unit_cache(), self.settings.commit_every
        for lo in range(0, len(chunks), step):
            self._warm_units(units, chunks[lo : lo + step], report)
        units.save()

    def _count(self, group: list[Pending], by_id: dict[str, Any], report: IngestReport) -> None:
        for item in group:
            new = sum(1 for c in item.chunks if c.id in by_id)
            report.chunks_embedded += new
            if item.is_new:
                report.added += 1
            else:
                report.updated += 1
            source, n = item.file.candidate.source, len(item.chunks)
            self.on_file(f"indexed {source} ({n} chunks, {new} embedded)")


def _with_root(chunk: Chunk, root: str) -> Chunk:
    from dataclasses import replace

    return replace(chunk, root=root)
