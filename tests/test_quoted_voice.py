"""Someone else's "I": a first-person sentence the essay sets as a blockquote (a
maintainer quoted, a sample script or cover letter) is attributed as quoted by the essay,
never as its author's words (pure logic on real files; then the handbook's negotiation
essay, whose scripts are blockquotes, on the real index)."""

from __future__ import annotations

from pathlib import Path

from assistant.answer.chain import Assistant
from assistant.answer.citations import without_attribution
from assistant.answer.claims import attribute, credited
from assistant.answer.composing import Candidate, compose
from assistant.answer.quotes import blockquoted
from assistant.domain import Chunk
from assistant.search import PassageRetriever, split_units

MARKDOWN = (
    "## Have alternatives\n\n"
    "Tell other companies that you've received offers. I always did.\n\n"
    "> I've just received an offer from [ACME](https://acme.example) which is quite strong.\n"
    "> I'm excited about your team.\n\n"
    "Then wait.\n"
)
TEXT = (
    "Tell other companies that you've received offers. I always did.\n"
    "I've just received an offer from ACME which is quite strong. I'm excited about your team.\n"
    "Then wait."
)


def chunk_of(tmp_path: Path, markdown: str = MARKDOWN, text: str = TEXT) -> Chunk:
    path = tmp_path / "rules.md"
    path.write_text(markdown, encoding="utf-8")
    return Chunk(
        source="rules.md", path=str(path), title="Rules", heading=("Have alternatives",),
        text=text, start=0, end=len(markdown), ordinal=0,
    )  # fmt: skip


def quoted_units(chunk: Chunk) -> list[bool]:
    units = [u.text for u in split_units(chunk.text)]
    found = blockquoted(chunk, units)
    return [i in found for i in range(len(units))]


def test_a_unit_in_a_blockquote_is_found_in_the_file(tmp_path: Path) -> None:
    assert quoted_units(chunk_of(tmp_path)) == [False, False, True, True, False]


def test_units_are_found_in_order_not_at_the_first_word_they_share(tmp_path: Path) -> None:
    """Most first-person units open with "I": each is looked for after the unit before
    it, so the author's "I got it." is not read as the quote's, nor the quote's as the
    author's."""
    markdown = (
        "I asked for more money. I got it.\n\n"
        "> I asked for more time to decide. I got it too.\n\n"
        "I was thrilled when I got mine.\n"
    )
    text = (
        "I asked for more money. I got it.\n"
        "I asked for more time to decide. I got it too.\n"
        "I was thrilled when I got mine."
    )
    assert quoted_units(chunk_of(tmp_path, markdown, text)) == [
        False, False, True, True, False,
    ]  # fmt: skip


def test_lazy_continuation_and_list_quotes_count_code_does_not(tmp_path: Path) -> None:
    markdown = (
        "> I wrote a wiki page describing what I wanted.\n"
        "For some reason it came as a surprise to me.\n\n"
        "- A tip:\n\n    > I am quoted inside a list.\n\n"
        "```\n> I am a prompt in a code block\n```\n\n"
        "I ran it.\n"
    )
    text = (
        "I wrote a wiki page describing what I wanted. "
        "For some reason it came as a surprise to me.\n"
        "A tip:\nI am quoted inside a list.\n"
        "I am a prompt in a code block\n"
        "I ran it."
    )
    assert quoted_units(chunk_of(tmp_path, markdown, text)) == [
        True, True, False, True, False, False,
    ]  # fmt: skip


def test_a_changed_file_or_a_missing_unit_is_no_blockquote(tmp_path: Path) -> None:
    chunk = chunk_of(tmp_path)
    assert blockquoted(chunk, ["Nothing like this is in the essay."]) == set()
    stale = Chunk(**{**chunk.__dict__, "file_sha256": "0" * 64})
    assert blockquoted(stale, ["I've just received an offer from ACME"]) == set()


def test_a_pull_quote_credits_its_speaker() -> None:
    assert credited('I close PRs I cannot maintain. — @geerlingguy, "Why I Close PRs"')
    assert credited("My software is gratis. — @IvanSanchez, maintainer of Leaflet")
    assert credited("Use Copilot for the boring stuff - do the fun stuff — open source maintainer")
    assert credited('It can help. — Lena Reinhard, "How to Prepare and Write a Tech Talk"')
    assert not credited("I use three languages — Python, Java, Go")
    assert not credited("I use three languages — and I like them.")
    assert not credited('I told them one thing — "I need more time"')


def test_the_essay_quotes_a_blockquote_and_its_author_writes_the_rest(tmp_path: Path) -> None:
    chunk = chunk_of(tmp_path)
    units = split_units(chunk.text)
    quoted = blockquoted(chunk, [u.text for u in units])
    chosen = [Candidate(1, pos, u, 1.0, quoted=pos in quoted) for pos, u in enumerate(units)]
    text = compose(chosen, frozenset(), titles={1: "Rules"}, essays={1: "rules.md"})
    assert "The author of “Rules” writes: I always did [1]." in text
    assert "“Rules” quotes: I've just received an offer from ACME" in text
    assert "writes: I've just received" not in text
    # One attribution per run of a voice.
    assert "strong [1]. I'm excited about your team [1]." in text
    assert text.count("“Rules” quotes:") == 1


def test_two_blockquotes_of_one_passage_are_two_speakers() -> None:
    first, second = split_units("I've received another offer.\nI'm going back to school.")
    chosen = [Candidate(1, 0, first, 1.0, quoted=True), Candidate(1, 1, second, 0.9, quoted=True)]
    text = compose(chosen, frozenset(), titles={1: "Rules"}, essays={1: "r"})
    assert text.count("“Rules” quotes:") == 2


def test_a_heading_or_list_item_after_a_quote_is_the_authors(tmp_path: Path) -> None:
    markdown = "> I was quoted.\n## Mine\nI am the author here.\n> I was quoted.\n- I list mine.\n"
    text = "I was quoted.\nI am the author here.\nI was quoted.\nI list mine."
    assert quoted_units(chunk_of(tmp_path, markdown, text)) == [True, False, True, False]


def test_two_passages_quoted_are_two_speakers() -> None:
    first, second = (
        split_units("I've received another offer.")[0],
        split_units("I'm also going back to school.")[0],
    )
    chosen = [Candidate(1, 0, first, 1.0, quoted=True), Candidate(2, 0, second, 0.9, quoted=True)]
    text = compose(chosen, frozenset(), titles={1: "Rules", 2: "Rules"}, essays={1: "r", 2: "r"})
    assert text.count("“Rules” quotes:") == 2


def test_the_quoted_attribution_carries_no_facts() -> None:
    said = "I've just received an offer."
    assert without_attribution(attribute(said, "Rules", quoted=True)) == said


def test_a_negotiation_script_is_quoted_not_the_authors_word(handbook_settings, embeddings) -> None:
    """ "Ten rules of negotiation" gives its scripts as blockquotes ("I've just received an
    offer from [COMPANY]…"): an answer that uses one says the essay quotes it."""
    bot = Assistant(
        handbook_settings, embeddings, PassageRetriever.from_settings(handbook_settings, embeddings)
    )
    answer = bot.ask("I got an offer. How do I tell the other companies I'm interviewing with?")
    assert not answer.refused
    assert "“Ten rules of negotiation” quotes: I" in answer.text
    assert "The author of “Ten rules of negotiation” writes: I've just received" not in answer.text
