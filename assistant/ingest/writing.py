"""Writing changed essays to the index, a commit group at a time.

For each group, in this order: one upsert of its new chunks, one metadata update of its
kept ones, one delete of its stale ones, a commit (a new collection version), the vectors
of its passage units into the unit cache, and one manifest save. A kill at any point
leaves the index answering and the manifest naming the old hashes of that group's
files, so the next run redoes that group only (see :mod:`assistant.ingest.pipeline`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.domain import Chunk
from assistant.ingest.manifest import Manifest
from assistant.ingest.plan import Pending, commit_groups, unique
from assistant.ingest.report import IngestReport, Progress, ProgressFactory
from assistant.search import (
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


class GroupWriter:
    """Embeds and commits the chunks of changed files, and caches their unit vectors."""

    def __init__(
        self,
        settings: Settings,
        embeddings: LocalEmbeddings,
        progress: ProgressFactory,
        on_file: Callable[[str], None],
    ) -> None:
        self.settings = settings
        self.embeddings = embeddings
        self.progress = progress
        self.on_file = on_file

    def write(
        self,
        index: ChunkIndex,
        manifest: Manifest,
        manifest_file: Path,
        pending: list[Pending],
        report: IngestReport,
    ) -> None:
        """Embed and store ``pending`` a commit group at a time; the manifest names a
        group's new hashes only once the group is committed."""
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
                manifest.save(manifest_file)
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

    def backfill_units(self, index: ChunkIndex, report: IngestReport) -> None:
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
