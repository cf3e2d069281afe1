"""Chunking with the real all-MiniLM-L6-v2 tokenizer: sizes, offsets, sections and ids.

The model silently truncates at ``max_seq_length`` word pieces, so a chunk over
it would be indexed by its beginning only; these tests count every chunk with
the model's own tokenizer rather than trusting the chunker's estimates.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.domain import Chunk, Essay, normalise_text
from assistant.ingest.chunking import chunk_essay
from assistant.ingest.markdown import ParsedEssay, parse_essay
from assistant.search.embeddings import LocalEmbeddings
from tests.conftest import CORPUS, needs_shared, shared_essays, words_in_order

SEED = CORPUS / "building-an-ai-career.md"
ESSAY_FILES = [SEED, *shared_essays()]
ESSAY_IDS = [f"{p.parent.name}/{p.name}" for p in ESSAY_FILES]
TARGET = Settings().chunk_tokens
WORD = re.compile(r"\w+")
TAG = re.compile(r"</?[A-Za-z][^<>]*>")


def _essay(parsed: ParsedEssay, source: str) -> Essay:
    return Essay(
        source=source,
        path=f"/essays/{source}",
        title=parsed.title,
        sha256="0" * 64,
        date=parsed.meta["date"],
        author=parsed.meta["author"],
        categories=parsed.meta["categories"],
        url=parsed.meta["url"],
    )


def _chunks(
    text: str, emb: LocalEmbeddings, source: str = "essay.md", target: int = TARGET
) -> list[Chunk]:
    parsed = parse_essay(text, source)
    return chunk_essay(_essay(parsed, source), parsed.blocks, emb, target)


@cache
def _file_chunks(path: Path, emb: LocalEmbeddings) -> tuple[str, ParsedEssay, list[Chunk]]:
    """Each real essay is chunked once, however many tests look at it."""
    text = path.read_text(encoding="utf-8")
    parsed = parse_essay(text, path.name)
    return text, parsed, chunk_essay(_essay(parsed, path.name), parsed.blocks, emb, TARGET)


def _tokens(emb: LocalEmbeddings, chunks: list[Chunk]) -> list[int]:
    return emb.count_tokens([c.embed_text for c in chunks])


# -- real essays --------------------------------------------------------------------------


@pytest.mark.parametrize("path", ESSAY_FILES, ids=ESSAY_IDS)
def test_every_chunk_fits_the_model(path: Path, embeddings: LocalEmbeddings) -> None:
    _, _, chunks = _file_chunks(path, embeddings)
    assert chunks
    assert embeddings.max_seq_length == 256
    counts = _tokens(embeddings, chunks)
    assert max(counts) <= embeddings.max_seq_length, list(zip(counts, chunks, strict=True))
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    assert len({c.id for c in chunks}) == len(chunks)


@pytest.mark.parametrize("path", ESSAY_FILES, ids=ESSAY_IDS)
def test_chunk_offsets_round_trip(path: Path, embeddings: LocalEmbeddings) -> None:
    """original[start:end] is the markup a chunk came from: all its words, in order."""
    original, _, chunks = _file_chunks(path, embeddings)
    previous_start = -1
    for chunk in chunks:
        raw = original[chunk.start : chunk.end]
        assert 0 <= chunk.start < chunk.end <= len(original)
        assert not raw[0].isspace() and not raw[-1].isspace(), chunk
        words = WORD.findall(chunk.text)
        visible = html.unescape(TAG.sub("", raw))  # through tags and entities, as in the text
        assert words_in_order(words, raw) or words_in_order(words, visible), chunk
        # Chunks follow the file: each one starts after the one before.
        assert chunk.start > previous_start
        previous_start = chunk.start


@pytest.mark.parametrize("path", ESSAY_FILES, ids=ESSAY_IDS)
def test_chunks_never_mix_sections(path: Path, embeddings: LocalEmbeddings) -> None:
    _, parsed, chunks = _file_chunks(path, embeddings)
    for chunk in chunks:
        inside = [
            b
            for b in parsed.blocks
            if b.pieces[0].start < chunk.end and b.pieces[-1].end > chunk.start
        ]
        assert inside
        assert {b.heading for b in inside} == {chunk.heading}, chunk


def test_seed_essay_chunks_carry_metadata(embeddings: LocalEmbeddings) -> None:
    _, parsed, chunks = _file_chunks(SEED, embeddings)
    title = "Building an AI Career: Lessons from My Journey"
    assert {c.title for c in chunks} == {title}
    assert {c.date for c in chunks} == {"2025-02-28"}
    assert {c.categories for c in chunks} == {("Career", "AI", "Personal Development")}
    # Every section of the essay has its chunks, and the context leads the embedded text.
    assert [c.heading for c in chunks if c.heading] != []
    assert {c.heading for c in chunks} == {b.heading for b in parsed.blocks}
    for c in chunks:
        assert c.embed_text == " > ".join((title, *c.heading)) + "\n" + c.text


def test_smaller_target_gives_smaller_chunks(embeddings: LocalEmbeddings) -> None:
    text = SEED.read_text(encoding="utf-8")
    big = _chunks(text, embeddings, target=200)
    small = _chunks(text, embeddings, target=48)
    assert len(small) > len(big)
    assert max(_tokens(embeddings, small)) < max(_tokens(embeddings, big))


@needs_shared
def test_shared_corpora_are_present() -> None:
    # Without them the parametrised tests above cover the seed essay alone.
    assert len(shared_essays()) >= 10


# -- synthetic essays ---------------------------------------------------------------------


def _item(i: int) -> str:
    # About twenty words, unique per item, so it can be found in exactly one chunk.
    return (
        f"Tip number {i} says that careful engineers review their own changes before "
        f"asking colleagues, and item {i} ends here."
    )


def test_small_list_items_are_never_split(embeddings: LocalEmbeddings) -> None:
    items = "\n".join(f"- {_item(i)}" for i in range(30))
    md = f"# Tips\n\n## Thirty tips\n\nHere are thirty tips:\n\n{items}\n\n## Next\n\nDone.\n"
    chunks = _chunks(md, embeddings)
    in_section = [c for c in chunks if c.heading == ("Thirty tips",)]
    assert len(in_section) > 1  # otherwise nothing was at risk of being split
    for i in range(30):
        holders = [c for c in chunks if f"- {_item(i)}" in c.text.split("\n")]
        assert len(holders) == 1, (i, holders)
    # The "...:" lead-in travels with the list it introduces.
    assert in_section[0].text.split("\n")[:2] == ["Here are thirty tips:", f"- {_item(0)}"]
    assert chunks[-1].heading == ("Next",)
    assert chunks[-1].text == "Done."


def test_lead_in_moves_to_the_chunk_of_its_list(embeddings: LocalEmbeddings) -> None:
    long_para = " ".join(f"Sentence {i} fills the opening paragraph." for i in range(25))
    items = "\n".join(f"- {_item(i)}" for i in range(6))
    md = f"# T\n\n{long_para}\n\nThe points are these:\n\n{items}\n"
    chunks = _chunks(md, embeddings, target=200)  # the paragraph is sized for 200
    holder = next(c for c in chunks if "The points are these:" in c.text)
    assert holder.ordinal == 1  # the paragraph fills chunk 0; the lead-in would have fitted
    # Left at the end of the first chunk, the lead-in would introduce nothing.
    assert holder.text.split("\n")[:2] == ["The points are these:", f"- {_item(0)}"]


def test_a_list_the_boundary_would_cut_moves_whole_with_its_introduction(
    embeddings: LocalEmbeddings,
) -> None:
    """Cut after its second item, a list of four read as two lists, each half under the
    section's heading; the list and the sentence that introduces it move on together."""
    opening = " ".join(f"Sentence {i} fills the opening paragraph." for i in range(18))
    intro = "There are many reasons why a person would not want to be paid."
    items = "\n".join(f"- {_item(i)}" for i in range(4))
    md = f"# T\n\n{opening}\n\n{intro}\n\n{items}\n\nAfterwards, more prose.\n"
    whole = _chunks(md, embeddings, target=400)
    assert len(whole) == 1  # the fixture must need a cut at 200, and only there
    chunks = _chunks(md, embeddings, target=200)
    holders = {c.ordinal for c in chunks for i in range(4) if f"- {_item(i)}" in c.text}
    assert len(holders) == 1, [c.text for c in chunks]
    holder = next(c for c in chunks if c.ordinal in holders)
    assert holder.text.split("\n")[:2] == [intro, f"- {_item(0)}"]
    assert chunks[0].text == opening  # the chunk it left is not empty


@pytest.mark.parametrize(("count", "target"), [(5, 120), (8, 190), (10, 230)])
def test_a_list_longer_than_a_chunk_keeps_its_introduction(
    count: int, target: int, embeddings: LocalEmbeddings
) -> None:
    """A list that cannot move whole is cut as before: its introduction stays with its
    first items, and no chunk is left holding the introduction alone."""
    items = "\n".join(f"- {_item(i)}" for i in range(count))
    for opening in ("", "A short opening.\n\n"):
        chunks = _chunks(
            f"# T\n\n{opening}Here is how to do it:\n\n{items}\n", embeddings, target=target
        )
        assert len(chunks) > 1
        holder = next(c for c in chunks if "Here is how to do it:" in c.text)
        assert f"Here is how to do it:\n- {_item(0)}" in holder.text, [c.text for c in chunks]
        assert sum(c.text.count(f"- {_item(i)}") for c in chunks for i in range(count)) == count


def _assert_split_within_limit(paragraph: str, embeddings: LocalEmbeddings) -> list[Chunk]:
    chunks = _chunks(f"# Giant\n\n{paragraph}\n", embeddings)
    assert len(chunks) >= 3
    assert max(_tokens(embeddings, chunks)) <= embeddings.max_seq_length
    # Cut, not trimmed: the pieces put back together are the paragraph, word for word.
    assert " ".join(c.text for c in chunks) == paragraph
    assert [c.ordinal for c in chunks] == list(range(len(chunks)))
    return chunks


def test_giant_paragraph_is_split_at_sentences(embeddings: LocalEmbeddings) -> None:
    sentences = [
        f"In year {i} the team shipped release {i} and learned lesson number {i}."
        for i in range(250)
    ]
    paragraph = " ".join(sentences)
    assert len(paragraph.split()) >= 3000
    chunks = _assert_split_within_limit(paragraph, embeddings)
    for c in chunks:
        assert c.text.endswith(".")  # cut between sentences, not inside one


def test_giant_run_on_sentence_is_split_by_words(embeddings: LocalEmbeddings) -> None:
    paragraph = " ".join(f"word{i} and more" for i in range(1000))  # no sentence ends at all
    _assert_split_within_limit(paragraph, embeddings)


def test_one_huge_token_does_not_shrink_other_sections(embeddings: LocalEmbeddings) -> None:
    prose = " ".join(f"Sentence {i} talks about careers and growth." for i in range(100))
    minified = json.dumps({f"key{i}": i for i in range(120)}, separators=(",", ":"))
    assert embeddings.count_tokens([minified])[0] > embeddings.max_seq_length
    plain = _chunks(f"# T\n\n## Prose\n\n{prose}\n", embeddings)
    with_code = _chunks(
        f"# T\n\n## Prose\n\n{prose}\n\n## Data\n\n```\n{minified}\n```\n", embeddings
    )
    assert [c.text for c in with_code if c.heading == ("Prose",)] == [c.text for c in plain]


# -- ids ----------------------------------------------------------------------------------


def test_chunk_ids_are_stable(embeddings: LocalEmbeddings) -> None:
    text = SEED.read_text(encoding="utf-8")
    first = _chunks(text, embeddings, "building-an-ai-career.md")
    again = _chunks(text, embeddings, "building-an-ai-career.md")
    assert [c.id for c in first] == [c.id for c in again]
    # The id depends on the source, so the same text elsewhere is another chunk.
    elsewhere = _chunks(text, embeddings, "copy.md")
    assert not {c.id for c in first} & {c.id for c in elsewhere}


def test_chunk_id_changes_with_the_text(embeddings: LocalEmbeddings) -> None:
    text = SEED.read_text(encoding="utf-8")
    assert text.count("genuine curiosity") == 1
    before = _chunks(text, embeddings)
    after = _chunks(text.replace("genuine curiosity", "honest curiosity"), embeddings)
    changed = [(b, a) for b, a in zip(before, after, strict=True) if b.id != a.id]
    assert len(changed) == 1
    old, new = changed[0]
    assert "genuine curiosity" in old.text
    assert "honest curiosity" in new.text


def test_whitespace_only_changes_keep_ids(embeddings: LocalEmbeddings) -> None:
    text = SEED.read_text(encoding="utf-8")
    # Double spaces, trailing spaces, CRLF line ends and a re-wrapped paragraph.
    edited = text.replace(". ", ".  ").replace("\n", "  \r\n")
    edited = edited.replace("has evolved dramatically", "has evolved\r\ndramatically")
    assert edited != text
    before = _chunks(text, embeddings)
    after = _chunks(edited, embeddings)
    assert [c.id for c in after] == [c.id for c in before]
    # Only the offsets moved.
    assert [c.start for c in after] != [c.start for c in before]


def test_chunk_id_ignores_whitespace_and_unicode_form() -> None:
    def chunk(text: str, source: str = "a.md") -> Chunk:
        return Chunk(
            source=source, path="/a.md", title="T", heading=(), text=text, start=0, end=1, ordinal=0
        )

    base = chunk("café  au\nlait")
    assert normalise_text("  café \u00a0 au\n lait ") == "café au lait"
    assert chunk("café au lait").id == base.id
    assert chunk("cafe\u0301 au lait").id == base.id  # NFD spelling of the same word
    assert chunk("café au lait!").id != base.id
    assert chunk("café au lait", source="b.md").id != base.id


def test_identical_passages_are_kept_once(embeddings: LocalEmbeddings) -> None:
    md = (
        "# Dupes\n\n"
        "## A\n\nThe same paragraph appears twice in this essay.\n\n"
        "## B\n\nThe same   paragraph appears twice\nin this essay.\n\n"
        "## C\n\nThe same paragraph appears twice in this essay, almost.\n"
    )
    chunks = _chunks(md, embeddings)
    # B's chunk has A's text (whitespace aside), so it adds nothing; C's differs.
    assert [(c.heading, c.text) for c in chunks] == [
        (("A",), "The same paragraph appears twice in this essay."),
        (("C",), "The same paragraph appears twice in this essay, almost."),
    ]
    assert [c.ordinal for c in chunks] == [0, 1]
    assert len({c.id for c in chunks}) == 2


def test_empty_essay_has_no_chunks(embeddings: LocalEmbeddings) -> None:
    assert _chunks("---\ntitle: Empty\n---\n<!-- nothing -->\n", embeddings) == []
