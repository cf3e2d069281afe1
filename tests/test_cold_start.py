"""Cold start (issue 11): a first answer reads the collection once and embeds only its
question, because ingest cached the vectors of every passage unit. Real model, real
embedded Chroma."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.answer import Assistant
from assistant.config import Settings
from assistant.ingest.pipeline import Ingester
from assistant.search.embeddings import LocalEmbeddings
from assistant.search.index import ChunkIndex
from assistant.search.retrieval import PassageRetriever
from assistant.search.units import UnitVectors, chunk_unit_texts, unit_cache_file

QUESTION = "How do I keep learning while working full time?"


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory, embeddings: LocalEmbeddings) -> Settings:
    from tests.conftest import CORPUS

    settings = Settings(data_dir=tmp_path_factory.mktemp("cold") / "data", corpus=(CORPUS,))
    Ingester(settings, embeddings=embeddings).run()
    return settings


@pytest.fixture
def embedded(embeddings: LocalEmbeddings, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every text the model embeds during a test."""
    texts: list[str] = []
    real = embeddings.embed_array

    def counted(batch: list[str], batch_size: int | None = None) -> np.ndarray:
        texts.extend(batch)
        return real(batch, batch_size)

    monkeypatch.setattr(embeddings, "embed_array", counted)
    yield texts


def test_bm25_and_exact_search_are_built_from_one_read_of_the_collection(
    ingested: Settings, embeddings: LocalEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[Any] = []
    real = ChunkIndex._pages

    def counted(self: ChunkIndex, include: Any) -> Any:
        reads.append(include)
        return real(self, include)

    monkeypatch.setattr(ChunkIndex, "_pages", counted)
    retriever = PassageRetriever.from_settings(ingested, embeddings)
    try:
        hits = retriever.hits(QUESTION)
        retriever.hits("How do I negotiate?")
        chunks = len(retriever.chunks)
    finally:
        retriever.index.close()
    assert hits and chunks > 5
    assert len(reads) == 1, reads


def test_a_first_answer_embeds_only_its_question(
    ingested: Settings, embeddings: LocalEmbeddings, embedded: list[str]
) -> None:
    retriever = PassageRetriever.from_settings(ingested, embeddings)
    bot = Assistant(ingested, embeddings, retriever)  # as `ask` does: no warm-up thread
    try:
        answer = bot.ask(QUESTION)
        cached = {t for c in retriever.chunks.values() for t in chunk_unit_texts(c)}
    finally:
        bot.close()
        retriever.index.close()
    assert answer.citations and not answer.refused
    # The question, then only what verification builds from this answer (a list item
    # as the clause it became, a heading as the sentence it supports): never a unit of a
    # passage, which ingest embedded.
    assert embedded[0] == QUESTION
    assert not set(embedded[1:]) & cached
    assert len(embedded) < 10


def test_ingest_caches_units_of_new_chunks_only(
    tmp_path: Path, embeddings: LocalEmbeddings
) -> None:
    corpus = tmp_path / "essays"
    corpus.mkdir()
    (corpus / "a.md").write_text("# Alpha\n\nSave a little every month. Then invest it.\n")
    settings = Settings(data_dir=tmp_path / "data", corpus=(corpus,))
    first = Ingester(settings, embeddings=embeddings).run()
    assert first.units_embedded == 3  # the title and two sentences

    (corpus / "b.md").write_text("# Beta\n\nWrite down what you learned today.\n")
    second = Ingester(settings, embeddings=embeddings).run()
    assert second.units_embedded == 2
    assert Ingester(settings, embeddings=embeddings).run().units_embedded == 0

    cache = unit_cache_file(settings.data_dir, embeddings)
    assert [p.name for p in cache.parent.glob("units-*")] == [cache.name]  # parts folded in
    index = ChunkIndex(settings, embeddings, create=False)
    texts = [t for c in index.all_chunks() for t in chunk_unit_texts(c)]
    index.close()
    assert UnitVectors(embeddings, cache).add(texts) == 0


def test_ingest_fills_a_missing_unit_cache_once(
    tmp_path: Path, embeddings: LocalEmbeddings
) -> None:
    """An index built before ingest cached units (or whose cache was deleted) gets every
    chunk's units cached by the next ingest, even when no essay changed."""
    corpus = tmp_path / "essays"
    corpus.mkdir()
    (corpus / "a.md").write_text("# Alpha\n\nSave a little every month. Then invest it.\n")
    settings = Settings(data_dir=tmp_path / "data", corpus=(corpus,))
    Ingester(settings, embeddings=embeddings).run()
    unit_cache_file(settings.data_dir, embeddings).unlink()

    again = Ingester(settings, embeddings=embeddings).run()
    assert (again.unchanged, again.units_embedded) == (1, 3)
    assert Ingester(settings, embeddings=embeddings).run().units_embedded == 0
