"""PassageRetriever as LangChain sees it: a BaseRetriever a user can build their own
LCEL chain on, over a real index of the seed essay and the real embedding model."""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import RunnableLambda, RunnablePassthrough

from assistant.config import Settings
from assistant.ingest.pipeline import Ingester
from assistant.search.embeddings import LocalEmbeddings
from assistant.search.fusion import MEANING_LEADS
from assistant.search.retrieval import PassageRetriever
from assistant.search.units import split_units
from tests.conftest import CORPUS

SEED = "building-an-ai-career.md"
RAW = (CORPUS / SEED).read_text(encoding="utf-8")
TITLE = "Building an AI Career: Lessons from My Journey"
PORTFOLIO = "How should I build a portfolio that stands out?"
LEARNING = "How do I keep learning in a fast-moving field?"
# The passage that answers PORTFOLIO, and the section it sits in.
PORTFOLIO_PASSAGE = "Quality over quantity"
PORTFOLIO_SECTION = "Building a Portfolio That Stands Out"


@pytest.fixture(scope="module")
def retriever(tmp_path_factory: pytest.TempPathFactory, embeddings: LocalEmbeddings):
    settings = Settings(data_dir=tmp_path_factory.mktemp("retriever") / "data", corpus=(CORPUS,))
    Ingester(settings, embeddings=embeddings).run()
    return PassageRetriever.from_settings(settings, embeddings)


def format_docs(docs: list[Document]) -> str:
    return "\n\n".join(
        f"[{i}] {d.metadata['title']}: {d.page_content}" for i, d in enumerate(docs, 1)
    )


def assert_passages(docs: list[Document], k: int) -> None:
    """Each Document is a stored passage of the seed essay with its metadata."""
    assert 0 < len(docs) <= k
    assert all(isinstance(d, Document) for d in docs)
    assert len({d.id for d in docs}) == len(docs)
    for d in docs:
        meta = d.metadata
        assert d.id and d.page_content.strip()
        assert meta["source"] == SEED and meta["title"] == TITLE
        assert isinstance(meta["heading"], str)
        assert 0 <= meta["start"] < meta["end"] <= len(RAW)
        # start/end locate the passage in the file: its first words are in that span.
        first_words = " ".join(d.page_content.split()[:3]).strip("*_")
        span = " ".join(RAW[meta["start"] : meta["end"]].replace("*", "").split())
        assert first_words in span, (first_words, span[:80])
        assert -1.0 <= meta["score"] <= 1.0
        assert meta["lexical"] >= 0.0


def portfolio_doc(docs: list[Document]) -> Document:
    found = [d for d in docs if PORTFOLIO_PASSAGE in d.page_content]
    assert found, [d.page_content[:60] for d in docs]
    return found[0]


def test_is_a_langchain_retriever(retriever: PassageRetriever) -> None:
    assert isinstance(retriever, BaseRetriever)


def test_a_users_own_lcel_chain_over_the_retriever(retriever: PassageRetriever) -> None:
    seen: list[Document] = []

    def keep(docs: list[Document]) -> list[Document]:
        seen.extend(docs)
        return docs

    prompt = ChatPromptTemplate.from_template(
        "Answer from the context only.\n\nContext:\n{context}\n\nQuestion: {question}"
    )
    chain = (
        {
            "context": retriever | RunnableLambda(keep) | format_docs,
            "question": RunnablePassthrough(),
        }
        | prompt
        | RunnableLambda(lambda p: p.to_string())
    )
    text = chain.invoke(PORTFOLIO)

    assert_passages(seen, retriever.k)
    doc = portfolio_doc(seen)
    assert doc.metadata["heading"].startswith(PORTFOLIO_SECTION)
    meta = doc.metadata
    assert PORTFOLIO_PASSAGE in RAW[meta["start"] : meta["end"]].replace("*", "")
    assert f"Question: {PORTFOLIO}" in text
    assert PORTFOLIO_PASSAGE in text and TITLE in text
    assert all(d.page_content in text for d in seen)


def test_invoke_ranks_the_answering_passage_first(retriever: PassageRetriever) -> None:
    docs = retriever.invoke(PORTFOLIO)
    assert_passages(docs, retriever.k)
    assert docs[0].metadata["heading"].startswith(PORTFOLIO_SECTION)
    assert docs[0].metadata["score"] == max(d.metadata["score"] for d in docs)
    portfolio_doc(docs)


def test_invoke_passes_k_through(retriever: PassageRetriever) -> None:
    assert len(retriever.invoke(PORTFOLIO, k=2)) == 2


def test_ainvoke_matches_invoke(retriever: PassageRetriever) -> None:
    docs = asyncio.run(retriever.ainvoke(PORTFOLIO))
    assert_passages(docs, retriever.k)
    assert [d.id for d in docs] == [d.id for d in retriever.invoke(PORTFOLIO)]


def test_batch_answers_each_question(retriever: PassageRetriever) -> None:
    portfolio, learning = retriever.batch([PORTFOLIO, LEARNING])
    assert_passages(portfolio, retriever.k)
    assert_passages(learning, retriever.k)
    portfolio_doc(portfolio)
    assert "Continuous Learning" in learning[0].metadata["heading"]
    assert [d.id for d in portfolio] != [d.id for d in learning]


class Recorder(BaseCallbackHandler):
    def __init__(self) -> None:
        self.starts: list[tuple[str, UUID, UUID | None]] = []
        self.ends: list[tuple[list[Document], UUID]] = []

    def on_retriever_start(
        self,
        serialized: dict[str, Any],
        query: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        self.starts.append((query, run_id, parent_run_id))

    def on_retriever_end(self, documents: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.ends.append((list(documents), run_id))


def test_callbacks_see_the_retriever_run(retriever: PassageRetriever) -> None:
    recorder = Recorder()
    docs = retriever.invoke(PORTFOLIO, config={"callbacks": [recorder], "run_name": "essays"})
    assert len(recorder.starts) == len(recorder.ends) == 1
    (query, run_id, parent), (ended, end_id) = recorder.starts[0], recorder.ends[0]
    assert query == PORTFOLIO and parent is None and end_id == run_id
    assert [d.id for d in ended] == [d.id for d in docs]


def test_callbacks_see_the_retriever_inside_a_chain(retriever: PassageRetriever) -> None:
    recorder = Recorder()
    chain = {
        "context": retriever | format_docs,
        "question": RunnablePassthrough(),
    } | RunnableLambda(lambda d: d["context"])
    context = chain.invoke(LEARNING, config={"callbacks": [recorder]})
    assert len(recorder.starts) == len(recorder.ends) == 1
    query, _, parent = recorder.starts[0]
    assert query == LEARNING and parent is not None  # a child run of the chain
    ended = recorder.ends[0][0]
    assert ended and all(d.page_content in context for d in ended)


def test_hnsw_path_agrees_with_exact_search(retriever: PassageRetriever) -> None:
    """Above ``exact_search_max`` the dense candidates come from Chroma's HNSW query."""
    hnsw = PassageRetriever.from_settings(
        retriever.settings.replace(exact_search_max=0), retriever.index.embeddings
    )
    assert hnsw.index.count() > hnsw.settings.exact_search_max
    qvec = retriever.index.embeddings.embed_query(PORTFOLIO)
    exact = retriever.index.search_by_vector(qvec, 3)
    approx = hnsw.index.search_by_vector(qvec, 3)
    assert [h.chunk.id for h in approx] == [h.chunk.id for h in exact]
    assert [h.score for h in approx] == pytest.approx([h.score for h in exact], abs=1e-3)
    assert [h.chunk for h in approx] == [h.chunk for h in exact]
    assert [d.id for d in hnsw.invoke(PORTFOLIO)] == [d.id for d in retriever.invoke(PORTFOLIO)]


def test_small_to_big_ranks_by_the_best_sentence(retriever: PassageRetriever) -> None:
    """With ``unit_weight`` 1 a passage ranks by its best sentence: a question worded like
    one sentence of a long section brings that section's passage first."""
    sentence_first = PassageRetriever.from_settings(
        retriever.settings.replace(unit_weight=1.0), retriever.index.embeddings
    )
    target = next(c for c in retriever.chunks.values() if PORTFOLIO_PASSAGE in c.text)
    best_sentence = max(
        (u.text for u in split_units(target.text)), key=lambda t: len(t) if "Quality" in t else 0
    )
    hits = sentence_first.retrieve(best_sentence, 3).hits
    assert hits[0].chunk.id == target.id
    assert len(hits) == 3 and hits[0].fused >= hits[1].fused >= hits[2].fused
    # At the default blend, the same call still returns k passages.
    assert len(retriever.retrieve(best_sentence, 3).hits) == 3


def test_lexical_weight_zero_is_the_dense_ranking(retriever: PassageRetriever) -> None:
    """BM25's vote in the fusion is a weight: at 0 each hit's fused score is its dense
    rank's alone; at the default, BM25 adds to the passages it also found."""
    question = "How should I build a portfolio?"
    dense_only = PassageRetriever.from_settings(
        retriever.settings.replace(lexical_weight=0.0), retriever.index.embeddings
    )
    rrf_k = retriever.settings.rrf_k
    by_rank = [1 / (rrf_k + rank + 1) for rank in range(5)]
    assert [h.fused for h in dense_only.retrieve(question, 5).hits] == pytest.approx(by_rank)
    fused = [h.fused for h in retriever.retrieve(question, 5).hits]
    assert fused[0] > by_rank[0]


def test_a_clipped_word_is_the_word_the_essays_spell_out() -> None:
    """ "my repo" is the essays' "repository": counted as a word they never use, it made
    a question about a repository refused as not covered."""
    from assistant.search import terms

    assert terms("Is my repo alive?") == terms("Is my repository alive?")
    assert terms("two repos") == terms("two repositories")


def test_an_acronyms_plural_is_the_acronym() -> None:
    """ "What are RSUs?" missed the essays' "Restricted Stock Unit (RSU)": the stemmer
    leaves "rsus" as it is."""
    from assistant.search import terms

    assert terms("What are RSUs?") == terms("What is an RSU?")
    assert terms("PRs and APIs") == terms("PR and API")


def test_abbreviations_are_read_as_the_essays_spell_them(retriever: PassageRetriever) -> None:
    """ "a PR" is the essays' "a pull request": as typed, a question about opening one
    early missed the passage that answers it (not in its top 30; first, spelled out).
    Lower-case and longer words are left alone."""
    from assistant.search.lexical import spelled_out

    assert spelled_out("Can I open a PR early? Two PRs?") == (
        "Can I open a pull request early? Two pull requests?"
    )
    assert spelled_out("an ML job, a pr, PRIDE") == "an machine learning job, a pr, PRIDE"
    # A lone "PR" only where it is a pull request: not residency, not public relations.
    assert spelled_out("Should I get Canadian PR first?") == "Should I get Canadian PR first?"
    assert spelled_out("I work in PR.") == "I work in PR."
    typed = retriever.retrieve("Should I build ML projects?")
    spelled = retriever.retrieve("Should I build machine learning projects?")
    assert [h.chunk.id for h in typed.hits] == [h.chunk.id for h in spelled.hits]
    assert typed.query == "Should I build ML projects?"


@pytest.mark.parametrize(
    "question",
    ["Do I need a PhD to work in AI?", "How do I get my first AI job without experience?"],
)
def test_the_passage_that_means_most_stays_in_the_top_k(
    retriever: PassageRetriever, question: str
) -> None:
    """However loud BM25's vote, the first passage by meaning is among the k returned
    (``with_leads``): at lexical_weight 10, without that, passages sharing the question's
    words pushed it out of the top three for each of these questions."""
    emb = retriever.index.embeddings
    by_meaning = PassageRetriever.from_settings(retriever.settings.replace(lexical_weight=0.0), emb)
    loud = PassageRetriever.from_settings(retriever.settings.replace(lexical_weight=10.0), emb)
    leads = [h.chunk.id for h in by_meaning.retrieve(question, MEANING_LEADS).hits]
    hits = loud.retrieve(question, 3).hits
    assert set(leads) <= {h.chunk.id for h in hits}


def test_a_lead_whose_essay_is_at_the_cap_stays(shared_index, embeddings) -> None:
    """Asked why someone would turn down money, the passage that says why ("There are
    many reasons why a person would not want to be paid…") leads by meaning, and every
    passage fusion ranks above it is from its essay. At a per-essay cap of 2 the lead
    stays and the essay's other passage above it yields; it had been dropped."""
    settings, _ = shared_index
    question = (
        "A friend of mine refuses any sponsorship money for her open source project. "
        "Why would someone turn down money?"
    )
    capped = PassageRetriever.from_settings(settings.replace(max_per_essay=2), embeddings)
    by_meaning = capped.retrieve(question, MEANING_LEADS, mode="dense").hits
    assert by_meaning[0].chunk.text.startswith("There are many reasons why a person")
    hits = capped.retrieve(question).hits
    assert by_meaning[0].chunk.id in {h.chunk.id for h in hits}
    essays = [h.chunk.source for h in hits]
    assert max(essays.count(e) for e in essays) <= 2
