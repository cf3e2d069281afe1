"""Essays from http(s) URLs, served by a real HTTP server on 127.0.0.1: fetched once into
the data dir, re-fetched only with --refresh, kept by a plain ingest, cited and
highlighted; every failure is one line."""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import ClassVar

import pytest

from assistant.answer import Assistant
from assistant.apps.web_chat import WebChat
from assistant.config import Settings
from assistant.ingest import Ingester
from assistant.ingest.discover import Problem
from assistant.ingest.fetch import Fetched, PageStore, fetch, normalise_url, url_candidate
from assistant.ingest.plan import read_candidate
from assistant.search import ChunkIndex, PassageRetriever
from tests.conftest import CLI, CORPUS, free_port, serve_locally
from tests.test_html_ingest import PAGES, assert_highlighted

ARTICLE = (PAGES / "remote-interviews.html").read_bytes()
LATIN1 = (PAGES / "career-switch.htm").read_bytes().replace(b"charset=windows-1252", b"")
MARKDOWN = b"""---
title: Keeping a brag document
---

# Keeping a brag document

Write down what you shipped every Friday, with the numbers that show its effect.
When review season comes, your manager can copy from it instead of guessing what you did.
Share it before the promotion committee meets, not after the decision.
"""

HOSTILE_MD = b"""---
title: Asking for a raise
url: "javascript:alert(1)"
---

Bring the numbers: what you shipped, what it earned, what the market pays for it.
Ask in a meeting about pay alone, not at the end of a performance review.
"""


class _Site(http.server.BaseHTTPRequestHandler):
    hits: ClassVar[Counter[str]] = Counter()
    pages: ClassVar[dict[str, bytes]] = {}

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.hits[self.path] += 1
        routes = {
            "/article": ("text/html; charset=utf-8", ARTICLE),
            "/latin1": ("text/html; charset=windows-1252", LATIN1),
            "/notes.md": ("text/markdown", MARKDOWN),
            "/image": ("image/png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
            "/empty": ("text/html", (PAGES / "no-article.html").read_bytes()),
            "/huge": ("text/html", b"<html><body><p>" + b"word " * 400_000 + b"</p></body></html>"),
            "/blank": ("text/html", b"  \n\t "),
            "/nul": ("text/html", b"<html>\x00\x00\x00<body></body></html>"),
            "/hostile.md": ("text/markdown", HOSTILE_MD),
            "/comment.md": ("text/markdown", b"<!-- nothing but a comment -->\n"),
        }
        if self.path in self.pages:
            self._send(200, "text/html", self.pages[self.path])
        elif self.path in routes:
            self._send(200, *routes[self.path])
        elif self.path == "/validators":
            self.send_response(200)
            self.send_header("content-type", "text/html")
            self.send_header("etag", '"caf\xe9"')  # latin-1 bytes on the wire
            self.send_header("last-modified", "lundi 1 f\xe9vrier")
            self.send_header("content-length", str(len(ARTICLE)))
            self.end_headers()
            self.wfile.write(ARTICLE)
        elif self.path.startswith("/redirect-"):
            self._redirect(self.path.removeprefix("/redirect-").replace("HOST", "http://"))
        elif self.path == "/moved":
            self._redirect("/article")
        elif self.path.startswith("/loop"):
            self._redirect(f"/loop{self.hits[self.path]}")
        elif self.path == "/slow":
            time.sleep(3)
            self._send(200, "text/html", ARTICLE)
        else:
            self._send(404, "text/html", b"<h1>Not Found</h1>")

    def _send(self, code: int, ctype: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("content-type", ctype)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, to: str) -> None:
        self.send_response(302)
        self.send_header("location", to)
        self.send_header("content-length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def site():
    with serve_locally(_Site) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def settings(tmp_path):
    corpus = tmp_path / "essays"
    corpus.mkdir()
    shutil.copy(CORPUS / "building-an-ai-career.md", corpus)
    return Settings(data_dir=tmp_path / "data", corpus=(corpus,), fetch_timeout=1.0, max_file_mb=1)


def _sources(settings: Settings, embeddings) -> set[str]:
    return {c.source for c in ChunkIndex(settings, embeddings, create=False).all_chunks()}


def test_a_url_is_fetched_once_cited_and_highlighted(site, settings, embeddings):
    url = f"{site}/article"
    _Site.hits.clear()
    report = Ingester(settings, embeddings=embeddings).run([url])
    assert report.ok and report.added == 1 and report.problems == [], report.summary()
    chunks = ChunkIndex(settings, embeddings, create=False).all_chunks()
    assert {c.source for c in chunks} == {url}
    assert {c.title for c in chunks} == {"Remote interviews: what I learned from forty video calls"}
    assert {c.url for c in chunks} == {url}
    snapshot = Path(chunks[0].path)
    assert snapshot.suffix == ".md" and Path(chunks[0].root) == snapshot.parent
    assert settings.data_dir.resolve() in snapshot.resolve().parents
    fetched = list((snapshot.parent / "fetched").glob("*"))
    sidecar = json.loads(next(p for p in fetched if p.suffix == ".json").read_text())
    assert sidecar["url"] == url and sidecar["content_type"] == "text/html"
    assert any(p.read_bytes() == ARTICLE for p in fetched)

    again = Ingester(settings, embeddings=embeddings).run([url])
    assert again.unchanged == 1 and again.chunks_embedded == 0
    assert _Site.hits["/article"] == 1  # the copy was used: no second request

    bot = Assistant(settings, embeddings, PassageRetriever.from_settings(settings, embeddings))
    answer = bot.ask("Should I think out loud in a remote video interview?")
    cited = [c for c in answer.citations if c.source == url]
    assert cited and not answer.refused, answer.text
    text = snapshot.read_text(encoding="utf-8")
    assert cited[0].quote.split()[0] in text[cited[0].start : cited[0].end]
    viewer = WebChat(bot, settings).open_link(url, str(cited[0].start), str(cited[0].end))
    assert_highlighted(viewer, cited[0].quote)


def test_plain_ingest_keeps_urls_and_refresh_fetches_again(site, settings, embeddings):
    url = f"{site}/changing"
    _Site.pages["/changing"] = ARTICLE
    _Site.hits.clear()
    assert Ingester(settings, embeddings=embeddings).run([url]).added == 1
    plain = Ingester(settings, embeddings=embeddings).run()  # the corpus, as serve does
    assert plain.removed == 0 and plain.unchanged == 1 and plain.added == 1
    assert _sources(settings, embeddings) == {url, "building-an-ai-career.md"}
    assert _Site.hits["/changing"] == 1

    same = Ingester(settings, embeddings=embeddings).run([url], refresh=True)
    assert same.unchanged == 1 and _Site.hits["/changing"] == 2

    _Site.pages["/changing"] = ARTICLE.replace(b"Silence reads as being stuck.", b"Silence is bad.")
    changed = Ingester(settings, embeddings=embeddings).run(refresh=True)
    assert changed.updated == 1 and changed.chunks_embedded > 0
    texts = " ".join(c.text for c in ChunkIndex(settings, embeddings, create=False).all_chunks())
    assert "Silence is bad." in texts and "being stuck" not in texts

    # A failed refresh keeps the copy (one line); the essay stays.
    del _Site.pages["/changing"]
    kept = Ingester(settings, embeddings=embeddings).run([url], refresh=True)
    assert [str(p) for p in kept.problems] == [
        f"{url}: HTTP 404 Not Found; skipped; its previously fetched copy is used"
    ]
    assert kept.ok and url in _sources(settings, embeddings)


def test_a_url_whose_copy_is_deleted_leaves_the_index(site, settings, embeddings):
    url = f"{site}/article"
    Ingester(settings, embeddings=embeddings).run([url])
    fetched = next((settings.data_dir / "pages").glob("*/fetched"))
    shutil.rmtree(fetched)
    report = Ingester(settings, embeddings=embeddings).run()
    assert report.removed == 1 and _sources(settings, embeddings) == {"building-an-ai-career.md"}
    assert not list((settings.data_dir / "pages").glob("*/*.md"))


def test_charset_from_the_http_header_and_markdown_urls(site, settings, embeddings):
    report = Ingester(settings, embeddings=embeddings).run([f"{site}/latin1", f"{site}/notes.md"])
    assert report.ok and report.added == 2, [str(p) for p in report.problems]
    chunks = ChunkIndex(settings, embeddings, create=False).all_chunks()
    latin = " ".join(c.text for c in chunks if c.source.endswith("/latin1"))
    assert "café manager" in latin and "\ufffd" not in latin
    notes = [c for c in chunks if c.source.endswith("/notes.md")]
    assert notes and notes[0].title == "Keeping a brag document"


def test_every_failed_url_is_one_line(site, settings, embeddings):
    closed = f"http://127.0.0.1:{free_port()}/gone"
    urls = {
        f"{site}/missing": "HTTP 404 Not Found; skipped",
        f"{site}/slow": "timed out after 1 s; skipped",
        f"{site}/loop": "more than 5 redirects; skipped",
        f"{site}/image": "not a web page (content type image/png): only HTML, Markdown and "
        "plain text",
        f"{site}/huge": "page is 2.0 MB or more, over the 1.0 MB limit; skipped (raise "
        "CAREER_ASSISTANT_MAX_FILE_MB to ingest it)",
        f"{site}/empty": "no article text found in the page; skipped",
        "ftp://127.0.0.1/essay.html": "only http:// and https:// URLs are fetched, not ftp://",
    }
    given = [*urls, closed, "http://user:pw@127.0.0.1/x", f"{site}/moved"]
    report = Ingester(settings, embeddings=embeddings).run(given)
    lines = {p.path: p.reason for p in report.problems}
    for url, reason in urls.items():
        assert lines.get(url) == reason, url
    assert lines[closed].startswith("could not connect")
    assert "http://127.0.0.1/x" in lines and "pw" not in " ".join(lines)
    assert all("\n" not in f"{k}: {v}" for k, v in lines.items())
    assert report.added == 1 and _sources(settings, embeddings) == {f"{site}/moved"}
    assert not report.ok  # URLs that could not be fetched make the exit status non-zero


def test_the_cli_ingests_a_url(site, tmp_path):
    data = tmp_path / "data"
    out = subprocess.run(
        [str(CLI), "ingest", f"{site}/article", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "added 1" in out.stdout
    listed = subprocess.run(
        [str(CLI), "search", "think out loud", "--json", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    assert {h["source"] for h in json.loads(listed.stdout)} == {f"{site}/article"}


@pytest.mark.parametrize(
    "url",
    ["http://xn--.com/", "https://xn--zz.example/", "http://a\u200b\u0301.com/", "http://[::1/"],
)
def test_a_url_that_cannot_be_parsed_is_one_line(url):
    got = normalise_url(url)
    assert isinstance(got, Problem) and got.reason.startswith("not a valid URL ("), got
    assert "\n" not in str(got)


def test_non_ascii_validators_are_neither_kept_nor_sent(site, tmp_path):
    url = f"{site}/validators"
    store = PageStore(tmp_path / "pages")
    found, problem = url_candidate(url, store, refresh=False, timeout=5.0, max_bytes=10**6)
    assert found is not None and problem is None
    assert (store.sidecar(url)["etag"], store.sidecar(url)["last_modified"]) == ("", "")
    # A sidecar written by an older version (or edited) holds them: they are not sent.
    side = {"etag": '"caf\xe9"', "last_modified": "lundi 1 f\xe9vrier", "url": url}
    got = fetch(url, 5.0, 10**6, side)
    assert isinstance(got, Fetched) and got.data == ARTICLE


def test_a_redirect_to_a_bad_url_is_one_line(site):
    for target in ("HOSTxn--.com/", "HOST127.0.0.1:abc/"):
        got = fetch(f"{site}/redirect-{target}", 5.0, 10**6, {})
        assert isinstance(got, Problem) and got.reason.startswith("fetch failed ("), got
        assert got.reason.endswith("; skipped") and "\n" not in str(got)


def test_an_empty_or_binary_page_is_named_by_its_url(site, tmp_path):
    store = PageStore(tmp_path / "pages")
    for path, reason in [
        ("/blank", "empty file; skipped"),
        ("/nul", "binary file (contains NUL bytes); skipped"),
    ]:
        found, _ = url_candidate(
            f"{site}{path}", store, refresh=False, timeout=5.0, max_bytes=10**6
        )
        assert found is not None
        got = read_candidate(found, store, 10**6)
        assert isinstance(got, Problem) and (got.path, got.reason) == (f"{site}{path}", reason)


def test_a_markdown_url_is_cited_by_the_url_it_was_fetched_from(site, settings, embeddings):
    hostile, comment = f"{site}/hostile.md", f"{site}/comment.md"
    report = Ingester(settings, embeddings=embeddings).run([hostile, comment])
    assert report.added == 1, report.summary()
    assert [(p.path, p.reason) for p in report.problems] == [
        (comment, "no visible text after removing markup; skipped")
    ]
    chunks = ChunkIndex(settings, embeddings, create=False).all_chunks()
    assert {c.url for c in chunks if c.source == hostile} == {hostile}
