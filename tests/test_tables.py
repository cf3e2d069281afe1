"""Table rows read with their header: which tables are read (the file marks the header),
how a row reads, which rows a question asks for, and how the citation check accepts a
reading (pure logic; then real files, the real chunker, and the real index of the
handbook's compensation essay)."""

from __future__ import annotations

from pathlib import Path

from assistant.answer.chain import Assistant
from assistant.answer.citations import chunk_support
from assistant.answer.quotes import table_headers
from assistant.answer.support import SupportScorer
from assistant.config import Settings
from assistant.domain import Chunk
from assistant.ingest import Ingester
from assistant.search import PassageRetriever, UnitVectors, read_tables, row_of_reading, split_units
from assistant.search.tables import read_row, row_readings, rows_not_asked, table_row_headers

# An invented table in the shape the chunker writes one: a row per line, cells by " | ".
LEVELS = """Here are the figures for the levels:
Level | Total (USD) | Base | Stock (/yr)
P1 (Entry Level) | $100,000 | $80,000 | $20,000
P2 (Senior Engineer) | $200,000 | $150,000 | $50,000
P3 (Staff Engineer) | $300,000 | $200,000 | $100,000
P4 (Senior Staff Engineer) | $400,000 | $250,000 | $150,000
Data as of last year."""
HEADER = {1}  # the passage line the file marks as the header (its rule follows it)
READING = "P3 (Staff Engineer): Total (USD) $300,000, Base $200,000, Stock (/yr) $100,000"
ROW = "P3 (Staff Engineer) | $300,000 | $200,000 | $100,000"


def test_each_row_is_read_with_the_headers_names_for_its_cells() -> None:
    readings = row_readings(split_units(LEVELS), "Acme", HEADER)
    assert sorted(readings) == [2, 3, 4, 5]  # the sentence, the header and the note are not
    assert readings[4] == f"Acme, {READING}"


def test_only_a_header_the_file_marks_starts_a_table() -> None:
    """A passage that opens mid-table has no header line: its first row is data."""
    units = split_units(LEVELS)
    assert row_readings(units, "Acme", headers=()) == {}
    cut = "Visa | Yes | No\nOracle | Remote first | Hybrid"  # no figures, still data
    assert row_readings(split_units(cut)) == {}


def test_two_tables_back_to_back_are_read_each_under_its_own_header() -> None:
    text = "Level | Total\nL3 | $100\nRegion | Pay\nUS | $300"
    assert row_readings(split_units(text), headers={0, 2}) == {
        1: "L3: Total $100",
        3: "US: Pay $300",
    }


def test_which_file_rows_are_headers() -> None:
    markdown = (
        "| Level | Total |\n| --- | --- |\n| L3 | $1 |\n\n| Region | Pay |\n|:-|-:|\n| US | $3 |"
    )
    assert table_row_headers(markdown) == [True, False, True, False]


def test_a_heading_the_label_already_says_is_not_repeated() -> None:
    header, row = ["Dimension", "Small", "Large"], ["Company size", "<100", ">1000"]
    assert read_row(header, row, heading="Company size") == "Company size: Small <100, Large >1000"


def test_a_long_heading_is_an_instruction_not_what_the_table_is_of() -> None:
    header, row = ["Section", "Heading Name"], ["Experience", '"Work Experience"']
    heading = "Add sections with standard headings and ordering"
    assert read_row(header, row, heading) == 'Experience: Heading Name "Work Experience"'


def test_an_empty_corner_cell_leaves_the_header_one_cell_short() -> None:
    # "|    | US | Singapore |": the parser drops the empty cell.
    text = "US | Singapore\nStarting pay | USD 100,000 | SGD 5,000\nTalent | Global | Regional"
    assert row_readings(split_units(text), headers={0})[1] == (
        "Starting pay: US USD 100,000, Singapore SGD 5,000"
    )


def test_a_table_with_a_row_short_of_a_cell_is_not_read() -> None:
    """An empty cell, dropped, would put the US value under "Singapore"; an escaped bar
    ("$200 \\| $250") adds a cell. Either way the columns no longer line up."""
    empty = "US | Singapore\nStarting pay | USD 100,000 | SGD 5,000\nSigning bonus | USD 10,000"
    assert row_readings(split_units(empty), headers={0}) == {}
    extra = "Level | Total | Notes\nL3 | $100 | none\nL4 | $200 \\ | $250 | range"
    assert row_readings(split_units(extra), headers={0}) == {}


def test_cells_that_hold_sentences_are_left_as_they_are() -> None:
    """A reading would be split into claims at the cells' full stops."""
    text = (
        "Dimension | Early | Late\n"
        "Career ladder | Unstructured. No career levels. | Structured, with levels\n"
        "Company size | <100 | >1000"
    )
    assert list(row_readings(split_units(text), headers={0})) == [2]
    stops = "Level | Avg. Pay | Max. Bonus\nL3 | $5 | $6"  # "Acme, L3: Avg." would break
    assert row_readings(split_units(stops), headers={0}) == {}


def test_list_items_that_hold_bars_are_no_table() -> None:
    text = "- Python | Java | Go\n- Acme | 2019 | Engineer"
    assert not any(u.is_row for u in split_units(text))
    assert row_readings(split_units(text), headers={0}) == {}


def test_the_row_whose_label_names_what_is_asked_and_says_no_more() -> None:
    units = split_units(LEVELS)
    # "staff" names P3 and P4; P4 also says "senior", which was not asked.
    assert rows_not_asked("How much does a staff engineer make?", units, HEADER) == {2, 3, 5}
    assert rows_not_asked("What do senior staff engineers earn?", units, HEADER) == {2, 3, 4}
    # "engineer" names the job of every row, no level: no row is asked for.
    assert rows_not_asked("How much do software engineers make?", units, HEADER) == {2, 3, 4, 5}


def test_a_passage_whose_readings_write_no_name_asked_is_passed_over() -> None:
    other = "Level | Total (USD)\nE1 (Entry Level) | $90,000\nE2 (Senior) | $180,000"
    passages = [(split_units(LEVELS), "Acme", HEADER), (split_units(other), "Globex", {0})]
    read, passed = read_tables("What's the pay for a P3 at Acme?", "", passages)
    assert passed == {(1, 2), (1, 3), (1, 5), (2, 1), (2, 2)}
    assert read[0][4].text == f"Acme, {READING}"
    assert not read[0][4].is_item  # read whole, one statement
    assert read[0][1].text.startswith("Level | ")  # the header stays a row: no claim
    _, passed = read_tables("How much does Globex pay a staff engineer?", "", passages[:1])
    assert passed == {(1, 2), (1, 3), (1, 4), (1, 5)}
    # Comparing, each table answers with its own row.
    asked = "What do entry level engineers earn at Acme vs Globex?"
    _, passed = read_tables(asked, "", passages)
    assert passed == {(1, 3), (1, 4), (1, 5), (2, 2)}


def test_a_follow_up_asks_for_the_row_its_earlier_turn_named() -> None:
    passages = [(split_units(LEVELS), "Acme", HEADER)]
    query = "How much does a staff engineer make? And at Acme?"  # the conversation's reading
    _, passed = read_tables("And at Acme?", query, passages)
    assert passed == {(1, 2), (1, 3), (1, 5)}


def test_a_reading_is_accepted_word_for_word_only() -> None:
    units = split_units(f"See Globex below.\n{LEVELS}")
    headers = {2}
    assert row_of_reading(f"Acme, {READING}.", units, "Acme", headers) == ROW
    assert row_of_reading(READING, units, "Acme", headers) == ""  # it reads with its heading
    assert row_of_reading(f"See Globex below, {READING}", units, "Acme", headers) == ""
    assert (
        row_of_reading(f"Acme, {READING}".replace("$300,000", "$350,000"), units, "Acme", headers)
        == ""
    )
    assert row_of_reading(f"Acme, {READING}".replace("Base", "Bonus"), units, "Acme", headers) == ""
    assert row_of_reading(f"Acme, {READING}", units, "Acme", headers=()) == ""  # no header
    assert row_of_reading(READING, split_units("No table here."), "Acme", headers) == ""


def essay_chunk(tmp_path: Path, markdown: str, text: str, heading: str) -> Chunk:
    """A passage of a real file: its text, at the offset where that text's first row is."""
    path = tmp_path / "levels.md"
    path.write_text(markdown, encoding="utf-8")
    first = text.split(" | ", 1)[0]
    start = markdown.index(f"| {first} ") + 2
    return Chunk(
        source="levels.md", path=str(path), title="Levels", heading=(heading,), text=text,
        start=start, end=len(markdown), ordinal=0,
    )  # fmt: skip


MARKDOWN = (
    "## Acme\n\n"
    "| Level | Total (USD) |\n| --- | --- |\n| P1 (Entry Level) | $100,000 |\n"
    "| P3 (Staff Engineer) | $300,000 |\n| Visa | Yes |\n"
)


def test_the_citation_check_reads_the_file_for_the_header(embeddings, tmp_path: Path) -> None:
    scorer = SupportScorer(UnitVectors(embeddings))
    whole = "Level | Total (USD)\nP1 (Entry Level) | $100,000\nP3 (Staff Engineer) | $300,000"
    chunk = essay_chunk(tmp_path, MARKDOWN, whole, "Acme")
    assert table_headers(chunk) == {0}
    claim = "Acme, P3 (Staff Engineer): Total (USD) $300,000"
    assert chunk_support(claim, chunk, scorer) == (1.0, "P3 (Staff Engineer) | $300,000")
    wrong, _ = chunk_support(claim.replace("$300,000", "$350,000"), chunk, scorer)
    assert wrong == 0.0  # a figure the passage doesn't hold
    # The same rows in a passage that opens mid-table: its first row is no header.
    cut = essay_chunk(tmp_path, MARKDOWN, "P3 (Staff Engineer) | $300,000\nVisa | Yes", "Acme")
    assert table_headers(cut) == frozenset()
    assert chunk_support("Acme, Visa: P3 (Staff Engineer) Yes", cut, scorer)[0] < 1.0


def test_a_table_split_by_the_chunker_is_read_only_under_its_header(
    tmp_path: Path, embeddings
) -> None:
    """Through the real parser and chunker: a long table spans passages, and only the
    passage holding the header reads rows; the next passage's first row is data."""
    rows = "".join(f"| Company {i} | Remote first | {i} days |\n" for i in range(120))
    essays = tmp_path / "essays"
    essays.mkdir()
    (essays / "remote.md").write_text(
        f"# Remote work\n\n## Policies\n\n| Company | Policy | Office |\n| --- | --- | --- |\n{rows}",
        encoding="utf-8",
    )
    settings = Settings(data_dir=tmp_path / "data", corpus=(essays,))
    Ingester(settings, embeddings=embeddings).run()
    chunks = sorted(
        PassageRetriever.from_settings(settings, embeddings).chunks.values(),
        key=lambda c: c.ordinal,
    )
    assert len(chunks) > 1, "the table should span passages"
    for i, chunk in enumerate(chunks):
        readings = row_readings(split_units(chunk.text), "Policies", table_headers(chunk))
        if i == 0:
            assert readings[1] == "Policies, Company 0: Policy Remote first, Office 0 days"
        else:
            assert readings == {}, chunk.text[:80]


def test_a_staff_engineers_pay_is_answered_with_the_staff_row(
    handbook_settings: Settings, embeddings
) -> None:
    """Through the real index. The compensation essay gives each level's pay only in a
    table; its rows were never quoted, and "How much does Google pay a staff engineer?"
    was answered with new graduates' salaries. Now its first sentence is the Staff row,
    read with the header, cited to the table's passage, its quote the row in the file;
    and "And at Facebook?" gets Facebook's staff row."""
    bot = Assistant(
        handbook_settings, embeddings, PassageRetriever.from_settings(handbook_settings, embeddings)
    )
    question = "How much does Google pay a staff engineer?"
    answer = bot.ask(question)
    assert not answer.refused
    lead = answer.text.split("]. ", 1)[0]
    assert lead.startswith("Google, L6 (Staff SWE): Total (USD) $")
    assert "Senior Staff" not in answer.text and "Entry Level" not in answer.text
    cited = answer.citations[0]
    assert cited.quote.startswith("L6 (Staff SWE) | $")
    raw = Path(bot.retriever.chunks[cited.chunk_id].path).read_text(encoding="utf-8")
    assert raw[cited.start : cited.end].startswith("L6 (Staff SWE)")
    follow = bot.ask("And at Facebook?", [question, {"role": "assistant", "content": answer.text}])
    assert follow.text.startswith("Facebook, E6 (Staff SWE): Total (USD) $"), follow.text[:200]
