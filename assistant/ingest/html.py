"""A saved web page to essay text: its article as Markdown, and its metadata.

The article is found by readability-lxml (measured against trafilatura and jusText on
realistic saved blog pages: ``eval/compare_extractors.py``) and written out here as
Markdown: headings, paragraphs, list items, quotes, code and table rows. Only text is
kept: scripts, styles, frames, objects, forms, images and event handlers never reach
the essay. Title, author, date and URL come from the page's meta tags and JSON-LD.

The Markdown, with that metadata as front matter, is the essay text of record (a
snapshot file, see :mod:`assistant.ingest.fetch`): chunk offsets, quotes and the viewer's
highlight all point into it, so everything that works for a Markdown essay works here.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any

import yaml

from assistant.domain import clean_text

# Bump when the Markdown written for a page changes (it is part of each snapshot).
EXTRACTOR_VERSION = "2"
# Fewer words than this in the whole article is a page without one (a home page, a
# login wall, a cookie banner and a menu).
MIN_ARTICLE_WORDS = 40

_DROPPED = frozenset(
    "script style noscript iframe frame frameset object embed applet form button input select"
    " textarea option svg math canvas video audio source track template img picture map"
    " nav aside header footer".split()
)
# readability logs a traceback for a page it can't parse, then raises: the page's problem
# is reported as one line by ingest, so its log stays quiet.
logging.getLogger("readability.readability").setLevel(logging.CRITICAL)
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_XML_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>")
_LOOKS_HTML = re.compile(r"<(?:!doctype|html|head|body|p|div|article|main|h[1-6])\b", re.I)
# Characters the Markdown parser would read as markup inside a line.
_INLINE_ESCAPE = str.maketrans({c: "\\" + c for c in "\\`*_[]<>{}|~"})
_ENTITY_LIKE = re.compile(r"&(?=#?\w{1,32};)")
# A line that would start a block: the backslash goes where CommonMark (and our own
# parser, assistant.ingest.inline) reads it as an escape, so both show the text as is.
_BLOCK_MARK = re.compile(r"^[#>+\-]")
_LIST_NUMBER = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
_CLOSING_HASHES = re.compile(r"(^|\s)(#+)$")


@dataclass(frozen=True)
class Page:
    """What a page says about itself, and its article as Markdown (no front matter)."""

    title: str
    author: str
    date: str
    url: str
    markdown: str


def looks_like_html(text: str) -> bool:
    return bool(_LOOKS_HTML.search(text[:65536]))


def extract_page(text: str, url: str = "") -> Page | str:
    """The page's article and metadata, or the one-line reason it has none."""
    try:
        page = _extract(text, url)
    # The page is untrusted and lxml, readability and our own walk over its tree can
    # raise many types on odd markup or metadata: one page must never stop an ingest.
    except Exception as exc:  # noqa: BLE001
        return f"no article text could be extracted ({type(exc).__name__}: {str(exc)[:160]})"
    return page or "no article text found in the page"


def _extract(text: str, url: str) -> Page | None:
    from lxml import html as lxml_html
    from readability import Document

    # lxml refuses a str that declares its encoding (an XHTML page's <?xml ...?>); the
    # text is decoded already, so the declaration says nothing any more.
    text = _XML_DECLARATION.sub("", text, count=1)
    doc = Document(text)
    summary = doc.summary(html_partial=True)
    tree = lxml_html.document_fromstring(text)
    lines: list[str] = []
    if summary.strip():
        _render(lxml_html.fragment_fromstring(summary, create_parent="div"), lines, "")
    markdown = "\n".join(lines).strip()
    if len(markdown.split()) < MIN_ARTICLE_WORDS:
        return None
    meta = _metadata(tree)
    title = meta.get("title") or _text(doc.short_title())
    link = url or meta.get("url", "")
    return Page(title, meta.get("author", ""), meta.get("date", ""), link, markdown + "\n")


def page_markdown(page: Page) -> str:
    """The essay text of record: front matter (safely quoted YAML) and the article."""
    fields = {"title": page.title, "author": page.author, "date": page.date, "url": page.url}
    front = {k: v for k, v in fields.items() if v}
    front["extractor"] = f"readability-lxml, career-assistant html v{EXTRACTOR_VERSION}"
    dumped = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{dumped}---\n\n{page.markdown}"


# -- Markdown rendering ------------------------------------------------------------------


def _render(el: Any, out: list[str], quote: str, depth: int = 0) -> None:
    """Append the Markdown blocks of ``el``'s children to ``out`` (blank-line separated)."""
    inline: list[str] = []
    for child in _children_with_text(el):
        if isinstance(child, str):
            inline.append(child)
            continue
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag in _DROPPED or not tag:
            inline.append(child.tail or "")
            continue
        if tag in _HEADINGS or tag in _BLOCKS:
            _flush(inline, out, quote)
            _block(child, tag, out, quote, depth)
            inline = [child.tail or ""]
        else:
            inline.append(_inline(child) + (child.tail or ""))
    _flush(inline, out, quote)


_BLOCKS = frozenset(
    "p div section article main li ul ol blockquote pre table tr td th thead tbody tfoot"
    " dl dt dd figure figcaption hr br center body html".split()
)


def _children_with_text(el: Any) -> list[Any]:
    return [el.text or "", *el]


def _block(child: Any, tag: str, out: list[str], quote: str, depth: int) -> None:
    if tag in _HEADINGS:
        _emit(out, quote, "#" * _HEADINGS[tag] + " " + _escape_heading(_inline(child)))
    elif tag in ("ul", "ol"):
        for n, item in enumerate(child.iterfind("li"), 1):
            marker = f"{n}." if tag == "ol" else "-"
            body: list[str] = []
            _render(item, body, "", depth + 1)
            first, *rest = [b for b in body if b] or [""]
            if first:
                _emit(out, quote, "  " * depth + f"{marker} {first}")
            for line in rest:  # a nested list or a second paragraph stays in the item
                _emit(out, quote, "  " * (depth + 1) + line.lstrip())
    elif tag == "blockquote":
        _render(child, out, quote + "> ", depth)
        out.append(quote.rstrip())  # the quote ends before the next block
    elif tag == "pre":
        code = child.text_content().strip("\n")
        if code.strip():
            fence = "~~~~" if "```" in code else "```"
            out.append("\n".join(quote + line for line in [fence, *code.splitlines(), fence]))
    elif tag == "tr":
        cells = [_escape_inline(_inline(c)) for c in child if c.tag in ("td", "th")]
        if any(cells) and not child.xpath(".//p|.//ul|.//ol|.//h1|.//h2|.//h3|.//table"):
            _emit(out, quote, "| " + " | ".join(cells) + " |")
        else:  # a layout table: its cells hold the page's blocks
            _render(child, out, quote, depth)
    elif tag != "hr":
        _render(child, out, quote, depth)


def _inline(el: Any) -> str:
    """An element's visible text on one line; dropped elements lose their text."""
    parts = [el.text or ""]
    for child in el:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag and tag not in _DROPPED:
            parts.append(" " if tag == "br" else _inline(child))
        parts.append(child.tail or "")
    return _text("".join(parts))


def _flush(inline: list[str], out: list[str], quote: str) -> None:
    text = _text("".join(inline))
    inline.clear()
    if text:
        _emit(out, quote, _escape(text))


def _emit(out: list[str], quote: str, line: str) -> None:
    out.append(quote + line)
    out.append(quote.rstrip())  # a blank (or bare quote) line ends the block


def _escape(text: str) -> str:
    """A paragraph or list item's text as Markdown that reads back as this text."""
    text = _escape_inline(text)
    if _BLOCK_MARK.match(text):
        return "\\" + text
    if text.startswith(":::"):  # an admonition to our parser; ":" has no escape there
        return "&#58;" + text[1:]
    return _LIST_NUMBER.sub(r"\1\\\2", text, count=1)  # "3. Ask" -> "3\. Ask"


def _escape_heading(text: str) -> str:
    """A heading's text: it needs no block escape (``## 3. Ask`` is a heading), only
    trailing hashes, which would close it."""
    return _CLOSING_HASHES.sub(r"\1\\\2", _escape_inline(text), count=1)


def _escape_inline(text: str) -> str:
    # "&amp;copy;" on the page is the text "&copy;": kept so, not read as an entity.
    return _ENTITY_LIKE.sub("&amp;", text.translate(_INLINE_ESCAPE))


def _text(value: Any) -> str:
    return clean_text(" ".join(str(value or "").split()))


# -- metadata ----------------------------------------------------------------------------


def _metadata(tree: Any) -> dict[str, str]:
    """title, author, date (YYYY-MM-DD when it parses) and url, best source first: Open
    Graph and article meta tags, then JSON-LD, then plain meta tags and ``<time>``."""
    meta: dict[str, str] = {}
    for el in tree.iterfind(".//meta"):
        key = (el.get("property") or el.get("name") or "").strip().lower()
        if key and el.get("content") and key not in meta:
            meta[key] = _text(el.get("content"))
    ld = _json_ld(tree)
    canonical = tree.xpath("//link[@rel='canonical']/@href")
    times = tree.xpath("//time/@datetime")
    found = {
        "title": [meta.get("og:title"), ld.get("headline"), meta.get("twitter:title")],
        "author": [meta.get("author"), ld.get("author"), meta.get("article:author")],
        "date": [
            meta.get("article:published_time"),
            ld.get("datePublished"),
            meta.get("date"),
            meta.get("dc.date"),
            *times,
        ],
        "url": [canonical[0] if canonical else "", meta.get("og:url"), ld.get("url")],
    }
    if meta.get("twitter:label1", "").lower() == "written by":
        found["author"].append(meta.get("twitter:data1"))
    picked = {k: next((_text(v) for v in vs if v and _text(v)), "") for k, vs in found.items()}
    picked["date"] = _iso_date(picked["date"])
    if not picked["url"].startswith(("http://", "https://")):
        picked["url"] = ""
    return {k: v[:300] for k, v in picked.items()}


def _json_ld(tree: Any) -> dict[str, str]:
    """headline, author (names joined), datePublished and url of the first JSON-LD
    object that has a headline. Only string values count: any JSON may stand where a
    name should (a list, an object, null) and must not show as ``None`` or ``{...}``."""
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            data = json.loads(script)
        except ValueError:
            continue
        items = data.get("@graph", [data]) if isinstance(data, dict) else data
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and _str(item.get("headline")).strip():
                authors = item.get("author") or []
                authors = authors if isinstance(authors, list) else [authors]
                names = [_str(a.get("name")) if isinstance(a, dict) else _str(a) for a in authors]
                return {
                    "headline": _str(item.get("headline")),
                    "author": ", ".join(n for n in names if n.strip()),
                    "datePublished": _str(item.get("datePublished")),
                    "url": _str(item.get("url")),
                }
    return {}


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _iso_date(value: str) -> str:
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
    return "-".join(m.groups()) if m else value
