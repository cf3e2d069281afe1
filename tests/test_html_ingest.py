"""Essays from saved web pages (.html/.htm): the article is extracted, kept as a Markdown
snapshot in the data dir, indexed, cited and highlighted like a Markdown essay.

Uses the saved pages in tests/data/pages (menus, cookie banners, sidebars, comments,
related posts, a windows-1252 page, a hostile page), the real model and a real index.
"""

from __future__ import annotations

import json
import re
import shutil
from html import escape
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from assistant.answer import Assistant
from assistant.apps.web_chat import WebChat
from assistant.config import Settings
from assistant.ingest import Ingester
from assistant.ingest import html as html_module
from assistant.ingest.charset import decode_page
from assistant.ingest.discover import Candidate, Problem, read_page
from assistant.ingest.fetch import PageStore
from assistant.ingest.html import Page, extract_page, page_markdown
from assistant.ingest.markdown import parse_essay
from assistant.search import ChunkIndex, PassageRetriever

PAGES = Path(__file__).parent / "data" / "pages"
ARTICLES = ["salary-negotiation.html", "remote-interviews.html", "career-switch.htm"]


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"\w+", text.lower())) + " "


def _chunks(settings: Settings, embeddings) -> list:
    return ChunkIndex(settings, embeddings, create=False).all_chunks()


@pytest.fixture(scope="module")
def pages(tmp_path_factory, embeddings):
    """Every saved page ingested once into a fresh data dir."""
    top = tmp_path_factory.mktemp("html")
    folder = top / "saved"
    shutil.copytree(PAGES, folder, ignore=shutil.ignore_patterns("*.json"))
    settings = Settings(data_dir=top / "data", corpus=(folder,))
    report = Ingester(settings, embeddings=embeddings).run()
    return settings, folder, report


def test_saved_pages_are_indexed_with_their_metadata(pages, embeddings):
    settings, folder, report = pages
    assert report.ok and report.added == 5, report.summary()
    assert [str(p) for p in report.problems] == [
        f"{folder / 'no-article.html'}: no article text found in the page; skipped"
    ]
    chunks = _chunks(settings, embeddings)
    salary = [c for c in chunks if c.source == "salary-negotiation.html"]
    assert salary and {c.title for c in salary} == {"How to Negotiate Your First Engineering Offer"}
    assert salary[0].author == "Priya Raman" and salary[0].date == "2024-03-18"
    assert salary[0].url == "https://offerdesk.example/blog/negotiate-first-offer/"
    assert "Let the company name the first figure" in {h for c in salary for h in c.heading}
    remote = next(c for c in chunks if c.source == "remote-interviews.html")
    assert (remote.author, remote.date) == ("Daniel Okafor", "2023-11-07")
    # The chunks point into the snapshot, inside the data dir, and its folder is their root.
    for c in chunks:
        snap = Path(c.path)
        assert snap.suffix == ".md" and snap.is_file() and Path(c.root) == snap.parent
        assert settings.data_dir.resolve() in snap.resolve().parents
        assert snap.read_text(encoding="utf-8")[c.start : c.end]


def test_a_windows_1252_page_is_decoded_by_its_declared_charset(pages, embeddings):
    settings, _, _ = pages
    text = " ".join(
        c.text for c in _chunks(settings, embeddings) if c.source == "career-switch.htm"
    )
    assert "café manager" in text and "résumé" in text and "\ufffd" not in text
    author = {c.author for c in _chunks(settings, embeddings) if c.source == "career-switch.htm"}
    assert author == {"Renée Lefèvre"}


def test_menus_banners_comments_and_sidebars_are_not_indexed(pages, embeddings):
    settings, _, _ = pages
    text = _words(" ".join(c.text for c in _chunks(settings, embeddings)))
    for boilerplate in [
        "We use cookies to improve your experience",
        "Leave a Reply",
        "You might also like",
        "Popular this week",
        "I used the email template",
        "Subscribe for free to receive new posts",
        "Recommended posts",
        "Sign my guestbook",
        "Powered by Ghost",
    ]:
        assert _words(boilerplate) not in text, boilerplate


def test_scripts_styles_frames_and_handlers_never_reach_the_essay(pages, embeddings):
    settings, _, _ = pages
    hostile = [c for c in _chunks(settings, embeddings) if c.source == "hostile.html"]
    assert hostile and any("Quantify results" in c.text for c in hostile)
    snapshot = Path(hostile[0].path).read_text(encoding="utf-8")
    for where in [snapshot, *(c.text for c in hostile)]:
        assert "LEAK-MARKER" not in where and "LEAK_MARKER" not in where
        assert "tracker.example" not in where and "evil.example" not in where
        assert "javascript:" not in where and "onerror" not in where


def test_extraction_keeps_the_article_and_drops_the_boilerplate():
    """The figures eval/compare_extractors.py prints, as a floor for our own Markdown."""
    truth = json.loads((PAGES / "truth.json").read_text(encoding="utf-8"))
    kept = total = dropped = boiler_total = 0
    for name, expected in truth.items():
        page = extract_page(decode_page((PAGES / name).read_bytes()))
        assert page is not None
        text = _words(page.title + "\n" + page.markdown)
        kept += sum(_words(s) in text for s in expected["article"])
        total += len(expected["article"])
        boiler = [b for b in expected["boilerplate"] if len(_words(b).split()) >= 2]
        dropped += sum(_words(b) not in text for b in boiler)
        boiler_total += len(boiler)
    assert kept / total >= 0.95 and dropped / boiler_total >= 0.95, (kept, total, dropped)


def test_a_cited_page_is_highlighted_in_its_snapshot(pages, embeddings):
    settings, _, _ = pages
    bot = Assistant(settings, embeddings, PassageRetriever.from_settings(settings, embeddings))
    answer = bot.ask("Should I name a salary number first when the recruiter asks?")
    cited = [c for c in answer.citations if c.source == "salary-negotiation.html"]
    assert cited and not answer.refused, answer.text
    chunk = bot.retriever.chunks[cited[0].chunk_id]
    snapshot = Path(chunk.path).read_text(encoding="utf-8")
    quoted = snapshot[cited[0].start : cited[0].end]
    assert _words(cited[0].quote).strip() in _words(quoted)
    viewer = WebChat(bot, settings).open_link(
        "salary-negotiation.html", str(cited[0].start), str(cited[0].end)
    )
    assert_highlighted(viewer, cited[0].quote)


def assert_highlighted(viewer: str | None, quote: str) -> None:
    """The viewer marks the quote (id ca-hl on the first mark) and escapes the page."""
    assert viewer is not None and 'id="ca-hl"' in viewer, viewer
    marked = " ".join(re.findall(r"<mark[^>]*>(.*?)</mark>", viewer, flags=re.S))
    assert _words(quote).strip() in _words(re.sub(r"<[^>]+>", " ", marked)), marked
    assert "<script" not in viewer


# -- incremental, kill-safe, bad input -----------------------------------------------------


@pytest.fixture
def two_pages(tmp_path):
    folder = tmp_path / "saved"
    folder.mkdir()
    for name in ("salary-negotiation.html", "mentorship-ghost.html"):
        shutil.copy(PAGES / name, folder / name)
    return Settings(data_dir=tmp_path / "data", corpus=(folder,)), folder


def _snapshots(settings: Settings) -> set[Path]:
    return set((settings.data_dir / "pages").glob("*/*.md"))


def test_reingest_is_incremental_and_snapshots_follow_the_pages(two_pages, embeddings):
    settings, folder = two_pages
    first = Ingester(settings, embeddings=embeddings).run()
    assert first.added == 2 and len(_snapshots(settings)) == 2
    before = {p: p.stat().st_mtime_ns for p in _snapshots(settings)}

    again = Ingester(settings, embeddings=embeddings).run()
    assert (again.unchanged, again.chunks_embedded, again.chunks_removed) == (2, 0, 0)
    assert {p: p.stat().st_mtime_ns for p in _snapshots(settings)} == before

    # Only the menu changed: the article, hence the snapshot, is the same.
    page = folder / "mentorship-ghost.html"
    page.write_text(page.read_text().replace("Membership", "Members area"))
    menu_only = Ingester(settings, embeddings=embeddings).run()
    assert (menu_only.unchanged, menu_only.updated, menu_only.chunks_embedded) == (2, 0, 0)

    text = page.read_text().replace("Report back", "Always report back")
    page.write_text(text.replace("Very few people ever", "Hardly anyone will"))
    edited = Ingester(settings, embeddings=embeddings).run()
    assert edited.updated == 1 and edited.chunks_embedded > 0
    assert len(_snapshots(settings)) == 2  # the old snapshot was swept
    chunks = _chunks(settings, embeddings)
    headings = {h for c in chunks for h in c.heading}
    assert "Always report back" in headings and "Report back" not in headings
    assert "Hardly anyone will" in " ".join(c.text for c in chunks)

    (folder / "salary-negotiation.html").unlink()
    removed = Ingester(settings, embeddings=embeddings).run()
    assert removed.removed == 1 and len(_snapshots(settings)) == 1
    assert {c.source for c in _chunks(settings, embeddings)} == {"mentorship-ghost.html"}


def test_a_deleted_snapshot_is_written_again(two_pages, embeddings):
    settings, _ = two_pages
    Ingester(settings, embeddings=embeddings).run()
    for snap in _snapshots(settings):
        snap.unlink()
    report = Ingester(settings, embeddings=embeddings).run()
    assert report.unchanged == 2 and report.chunks_embedded == 0
    assert all(Path(c.path).is_file() for c in _chunks(settings, embeddings))


def test_bad_pages_are_one_line_each(tmp_path, embeddings):
    folder = tmp_path / "saved"
    folder.mkdir()
    shutil.copy(PAGES / "remote-interviews.html", folder / "good.html")
    (folder / "binary.html").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    (folder / "garbage.htm").write_bytes(bytes(range(1, 256)) * 20)
    (folder / "empty.html").write_text("   \n")
    (folder / "menu-only.html").write_bytes((PAGES / "no-article.html").read_bytes())
    (folder / "huge.html").write_text("<html><body><p>" + "word " * 300_000 + "</p></body></html>")
    settings = Settings(data_dir=tmp_path / "data", corpus=(folder,), max_file_mb=1)
    report = Ingester(settings, embeddings=embeddings).run()
    assert report.ok and report.added == 1
    lines = sorted(str(p) for p in report.problems)
    assert lines == sorted(
        [
            f"{folder / 'binary.html'}: binary file (contains NUL bytes); skipped",
            f"{folder / 'empty.html'}: empty file; skipped",
            f"{folder / 'garbage.htm'}: not an HTML page (no HTML tags in it); skipped",
            f"{folder / 'huge.html'}: file is 1.5 MB, over the 1.0 MB limit; skipped "
            "(raise CAREER_ASSISTANT_MAX_FILE_MB to ingest it)",
            f"{folder / 'menu-only.html'}: no article text found in the page; skipped",
        ]
    )
    assert all("\n" not in line for line in lines)


# -- hostile or odd pages: one line, never a traceback -----------------------------------------

_BODY = "<p>" + "Negotiate the offer in writing and ask for the range first. " * 8 + "</p>"


def _page(head: str = "", body: str = _BODY) -> str:
    return f"<html><head><title>Fallback title</title>{head}</head><body><article>{body}</article></body></html>"


def _ld(data: str) -> str:
    return f'<script type="application/ld+json">{data}</script>'


@pytest.mark.parametrize(
    ("json_ld", "title", "author"),
    [
        ('{"headline": "H", "author": {"name": ["A", "B"]}}', "H", ""),
        ('{"headline": "H", "author": [{"name": "A"}, {"name": {"x": 1}}, "B", 3]}', "H", "A, B"),
        ('{"headline": "H", "author": [null, {"name": null}]}', "H", ""),
        ('{"headline": {"a": 1}, "author": "A"}', "Fallback title", ""),
        ('{"headline": ["H"], "datePublished": {"y": 1}, "url": 5}', "Fallback title", ""),
        ('{"@graph": {"headline": "H"}}', "Fallback title", ""),
        ('[1, "x", null, {"headline": "H", "author": true}]', "H", ""),
    ],
)
def test_odd_json_ld_keeps_only_text_values(json_ld, title, author):
    page = extract_page(_page(_ld(json_ld)))
    assert isinstance(page, Page), page
    assert (page.title, page.author, page.date, page.url) == (title, author, "", "")
    assert "None" not in page_markdown(page) and "{" not in page_markdown(page)


def test_a_page_that_breaks_the_extractor_is_one_line(tmp_path, monkeypatch):
    """Whatever raises while one page is extracted, the ingest goes on with one line."""
    file = tmp_path / "odd.html"
    file.write_text(_page(_ld('{"headline": "H"}')), encoding="utf-8")

    def broken(tree):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(html_module, "_json_ld", broken)
    store = PageStore(tmp_path / "pages")
    got = read_page(
        Candidate(path=file, root=tmp_path, source="odd.html"), 10**6, {}, store.write_snapshot
    )
    assert isinstance(got, Problem)
    assert str(got) == (
        f"{file}: no article text could be extracted (RuntimeError: boom\\x0asecond line); skipped"
    )


@pytest.mark.parametrize(
    "label", ["undefined", "idna", "base64", "unicode_escape", "utf-7", "nonsense"]
)
def test_a_charset_that_is_no_charset_falls_back(label):
    assert decode_page(b"It\x92s", label) == "It\u2019s"
    assert decode_page(b"caf\xc3\xa9 \\x41", label) == "caf\xe9 \\x41"
    meta = f'<meta charset="{label}"><p>It\x92s</p>'.encode("latin-1")
    assert "It\u2019s" in decode_page(meta)


@pytest.mark.parametrize("label", ["latin1", "iso-8859-1", "ISO_8859-1", "us-ascii", "ascii", "l1"])
def test_latin1_and_ascii_labels_mean_windows_1252(label):
    assert decode_page(b"It\x92s", label) == "It\u2019s"
    assert "It\u2019s" in decode_page(f'<meta charset="{label}"><p>It\x92s</p>'.encode("latin-1"))


@pytest.mark.parametrize("label", ["utf-16", "UTF-16LE", "utf-32"])
def test_a_utf16_meta_in_an_ascii_page_means_utf8(label):
    data = f'<meta charset="{label}"><p>caf\u00e9</p>'.encode()
    assert "<p>caf\u00e9</p>" in decode_page(data)


def test_text_that_starts_with_a_number_is_not_a_list_and_shows_no_backslash():
    body = (
        _BODY + "<h2>3. Ask for equity</h2><p>3. Ask for equity before you sign anything.</p>"
        "<p>2019) was the year I learned to negotiate.</p><p>3.5 years is a long vesting cliff.</p>"
        "<p>::: not a note</p><p>~~~ not a fence, ~~not struck~~</p><p>&amp;copy; stays text</p>"
        "<h2>Closing thoughts #</h2><p>Thanks for reading.</p>"
    )
    page = extract_page(_page(body=body))
    assert isinstance(page, Page)
    md = page.markdown
    assert "## 3. Ask for equity" in md and "3\\. Ask for equity before" in md
    assert "\\3" not in md and "\\2" not in md
    rendered = MarkdownIt("commonmark").enable("table").render(md)
    assert "<ol" not in rendered and "<pre" not in rendered and "<del" not in rendered
    assert "<h2>3. Ask for equity</h2>" in rendered and "<h2>Closing thoughts #</h2>" in rendered
    expected = [
        "3. Ask for equity before you sign anything.",
        "2019) was the year I learned to negotiate.",
        "3.5 years is a long vesting cliff.",
        "::: not a note",
        "~~~ not a fence, ~~not struck~~",
        "&copy; stays text",
    ]
    for line in expected:
        assert f"<p>{escape(line, quote=False)}</p>" in rendered, line
    parsed = parse_essay(page_markdown(page), "numbers.html")
    texts = [b.text for b in parsed.blocks]
    for line in expected:
        assert line in texts, (line, texts)
    assert "\\" not in " ".join(texts)
    assert {"3. Ask for equity", "Closing thoughts #"} <= {
        h for b in parsed.blocks for h in b.heading
    }


def test_an_xhtml_page_with_an_xml_declaration_is_extracted():
    xhtml = '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE html>\n' + _page().replace(
        "<html>", '<html xmlns="http://www.w3.org/1999/xhtml">'
    )
    page = extract_page(decode_page(b"\xef\xbb\xbf" + xhtml.encode()))
    assert isinstance(page, Page) and "ask for the range first" in page.markdown
