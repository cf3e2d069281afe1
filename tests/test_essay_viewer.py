"""The essay viewer renders an essay's Markdown with the cited passage highlighted and
scrolled into view; nothing from an essay runs or loads. In process on hand-made and
hostile essays, then in Debian's Chromium: a page of the viewer's HTML, and the real
`python app.py` (screenshots in test-artifacts/)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest

from assistant.apps.essay_render import VIEWER_MAX_CHARS, body_start, essay_html
from assistant.ingest.front_matter import split_front_matter
from tests.conftest import ARTIFACTS, CORPUS, show_untrusted, watch

SEED = (CORPUS / "building-an-ai-career.md").read_text(encoding="utf-8")

ESSAY = """---
title: Offers
---

# Offers

Some **strong** and *soft* words, ~~struck~~, `code`, and a [link](https://example.org/a).

## Always negotiate

- First item with [a link](https://example.org/x "A title") inside
- Second item with `a code span` inside
- Third item

1. One
2. Two

> A quoted line.

```python
print("fenced code")
```

| Level | Pay |
| ----- | --: |
| L4    | 100 |

See [the guide][guide] and <https://example.org/auto>.

[guide]: https://example.org/guide
"""

HOSTILE = """---
title: <b>Hostile</b> viewer essay
---

# Pay <script>window.__xss = 20</script> & bands <here>

Raw script: <script>window.__xss = 11</script> and <img src=x onerror="window.__xss = 12">.

<div onclick="window.__xss = 13" style="background:url(http://203.0.113.7/a.png)">HTML</div>

Links: [js](javascript:window.__xss=14), [JS upper](JAVASCRIPT:window.__xss=15),
[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==), [vb](vbscript:msgbox(1)),
[ok](https://example.org/a?b=1&c=2 "t\\" onmouseover=\\"window.__xss=16"), <https://example.org/x>,
<javascript:window.__xss=17>, <mailto:someone@example.org>, [rel](./other.md), [frag](#top),
[x](javascript:alert(1)) [spaced](java\tscript:alert(1)) [encoded](&#106;avascript:alert(1)).

Entities: &lt;script&gt;window.__xss = 18&lt;/script&gt; &#x3C;img src=x onerror=alert(1)&#x3E;

![tracker](https://203.0.113.7/pixel.png) ![bad](javascript:alert(1))

<svg onload="window.__xss = 19"></svg> <iframe src="javascript:alert(1)"></iframe>
"""
# What a rendered essay may contain, and with which attributes.
ALLOWED = {
    "a": {"href", "target", "rel", "title"},
    "mark": {"id", "class"},
    "span": {"class"},
    "div": {"class"},
    "article": {"class"},
    "code": {"class"},
    "th": {"style"},
    "td": {"style"},
}
PLAIN = {
    *"h1 h2 h3 h4 h5 h6 p ul ol li strong em s blockquote pre table thead tbody tr hr br".split()
}


class Tags(HTMLParser):
    """Start tags with attributes, and whether every end tag closes the innermost one."""

    VOID = frozenset({"br", "hr", "img", "input", "meta", "link"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.nested = True
        self.marked: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.nested = False

    def handle_data(self, data):
        self.text.append(data)
        if "mark" in self.stack:
            self.marked.append(data)


def parsed(markup: str) -> Tags:
    tags = Tags()
    tags.feed(markup)
    tags.close()
    return tags


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def structure(markup: str) -> list[tuple[str, dict[str, str | None]]]:
    """Tags and attributes, without the highlight's marks, ids and classes."""
    out = []
    for tag, attrs in parsed(markup).tags:
        if tag == "mark":
            continue
        out.append((tag, {k: v for k, v in attrs.items() if k not in {"id", "class"}}))
    return out


def at(text: str, needle: str, shift: int = 0) -> int:
    pos = text.index(needle) + shift
    assert pos >= 0
    return pos


# -- rendering -------------------------------------------------------------------------------


def test_the_essay_is_rendered_not_shown_as_markdown():
    out = essay_html("Offers", "offers.md", ESSAY, 0, 0)
    tags = [t for t, _ in parsed(out).tags]
    for tag in ("h1", "h2", "strong", "em", "s", "ul", "ol", "li", "blockquote", "pre", "table"):
        assert tag in tags, tag
    assert "## Always" not in out and "**strong**" not in out and "[guide]:" not in out
    links = [a for t, a in parsed(out).tags if t == "a"]
    hrefs = {a["href"] for a in links}
    assert hrefs == {
        "https://example.org/a",
        "https://example.org/x",
        "https://example.org/guide",
        "https://example.org/auto",
    }
    assert all(a["target"] == "_blank" and a["rel"] == "noopener noreferrer" for a in links)
    assert "title: Offers" not in out and "---" not in out  # the front matter is metadata


@pytest.mark.parametrize(
    "text",
    [
        "---\ntitle: x\n---\nbody\n",
        "\ufeff---\ntitle: x\n...\nbody\n",
        "---\r\ntitle: x\r\n---\r\nbody\r\n",
        "---\ntitle: never closed\nbody\n",
        "no front matter\n---\n",
        "---\n---\n",
        "---",
    ],
)
def test_the_body_starts_where_ingest_says_it_does(text):
    assert body_start(text) == split_front_matter(text)[1]


# -- the highlight ---------------------------------------------------------------------------


def test_a_passage_across_list_items_is_marked_word_for_word_and_nests():
    start = at(SEED, "### Effective Portfolio Strategies")
    end = at(SEED, "**Lesson:** Create projects") - 1
    out = essay_html("t", "s", SEED, start, end)
    tags = parsed(out)
    assert tags.nested, "a <mark> crosses an element boundary"
    assert out.count('id="ca-hl"') == 1
    marked, everything = words(" ".join(tags.marked)), words(" ".join(tags.text))
    assert marked[:3] == ["Effective", "Portfolio", "Strategies"]
    assert marked[-2:] == ["establish", "credibility"]
    first = everything.index("Effective")
    assert everything[first : first + len(marked)] == marked  # one run, nothing skipped


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (("## Always", 0), ("Third item", 5)),  # from a heading's #s
        (("- First", 0), ("- Second", 1)),  # from list markers
        (("example.org/x", 4), ("inside\n- Second", 3)),  # from inside a link's URL
        (("a code span", 2), ("Third", 2)),  # from inside a code span
        (("fenced", 0), ('code")', 3)),  # inside fenced code
        (("```python", 0), ("```\n\n|", 3)),  # the fence lines themselves
        (("| ----- ", 2), ("| L4", 4)),  # a table's delimiter row
        (("> A quoted", 0), ("```python", 0)),  # a quote, ending at a fence
        (("\n\n1. One", 1), ("2. Two", 6)),  # from a blank line
    ],
)
def test_a_highlight_anywhere_keeps_the_essay_as_it_renders(start, end):
    a, b = at(ESSAY, *start), at(ESSAY, *end)
    plain = essay_html("t", "s", ESSAY, 0, 0)
    marked = essay_html("t", "s", ESSAY, a, b)
    assert structure(marked) == structure(plain)  # the same elements, links and code
    assert parsed(marked).nested and marked.count('id="ca-hl"') == 1
    assert "\ue000" not in marked and "\ue001" not in marked


def test_a_passage_with_nothing_rendered_marks_nothing():
    a, b = at(ESSAY, "[guide]:", 3), at(ESSAY, "guide\n")  # a reference definition
    out = essay_html("t", "s", ESSAY, a, b)
    assert structure(out) == structure(essay_html("t", "s", ESSAY, 0, 0))
    assert "<mark" not in out and "ca-hl" not in out


def test_the_essays_own_private_use_characters_are_not_taken_for_the_highlight():
    text = "# T\n\nBefore \ue001 the \ue000 passage is here.\n\nAfter \ue001.\n"
    out = essay_html("t", "s", text, at(text, "passage"), at(text, "here") + 4)
    tags = parsed(out)
    assert words(" ".join(tags.marked)) == ["passage", "is", "here"]
    assert "\ue000" not in out and "\ue001" not in out and out.count("\ufffd") == 3


def test_a_huge_essay_is_shown_around_its_passage():
    filler = "Filler paragraph about nothing at all.\n\n" * (VIEWER_MAX_CHARS // 30)
    text = filler + "The passage we cite.\n\n" + filler
    out = essay_html("t", "s", text, at(text, "The passage"), at(text, "cite.") + 5)
    assert "shown around the passage" in out and len(out) < 2 * VIEWER_MAX_CHARS
    assert words(" ".join(parsed(out).marked)) == ["The", "passage", "we", "cite"]


# -- hostile essays --------------------------------------------------------------------------


def test_a_long_line_of_dashes_renders_in_linear_time():
    """A table-delimiter check used to backtrack quadratically: 100k dashes and an "x"
    held a thread for minutes. Now it renders at once (no timing asserted: a regression
    shows as a hang here)."""
    line = "-" * 100_000 + "x"
    essay = f"Intro.\n\n{line}\n\nAfter.\n"
    for start, end in [(essay.index("-"), essay.index("After") + 3), (0, essay.index("-") + 5)]:
        out = essay_html("t", "s", essay, start, end)  # a sentinel lands on the dash line
        assert 'id="ca-hl"' in out and "Intro." in out


def test_a_hostile_essay_renders_no_markup_of_its_own():
    start, end = at(HOSTILE, "Raw script"), at(HOSTILE, "Entities")
    out = essay_html("<b>Hostile</b>", "hostile<script>.md", HOSTILE, start, end)
    tags = parsed(out)
    assert tags.nested
    for tag, attrs in tags.tags:
        assert tag in PLAIN or tag in ALLOWED, tag
        assert set(attrs) <= ALLOWED.get(tag, set()), (tag, attrs)
        if tag == "a":
            assert re.match(r"(https?|mailto):", attrs["href"] or ""), attrs
    text = " ".join(tags.text)
    assert "<script>window.__xss = 11</script>" in text  # shown as the text it is
    assert "<script>window.__xss = 18</script>" in text  # an entity stays text too
    assert "[x](javascript:alert(1))" in text and "<here>" in text
    assert "https://203.0.113.7/pixel.png" in text  # an image is its address, not loaded


def test_a_hostile_essay_runs_nothing_in_a_browser(browser):
    out = essay_html("<b>Hostile</b>", "hostile.md", HOSTILE, 0, len(HOSTILE))
    context = browser.new_context()
    page = context.new_page()
    remote, dialogs = show_untrusted(page, out)
    page.wait_for_timeout(300)
    for link in page.locator("a").all():
        link.click(modifiers=["Alt"])  # no navigation away: only handlers would run
    page.mouse.move(5, 5)
    for link in page.locator("a").all():
        link.hover()
    page.wait_for_timeout(300)
    assert page.evaluate("window.__xss") is None and dialogs == []
    assert page.locator("img, script, iframe, svg").count() == 0
    assert remote == [], remote  # not even the "image"
    context.close()


# -- the real web app ------------------------------------------------------------------------

IN_VIEW = """() => { const el = document.getElementById('ca-hl');
  if (!el) return false;
  const r = el.getBoundingClientRect(), box = el.closest('.ca-essay').getBoundingClientRect();
  return r.height > 0 && r.top >= box.top && r.bottom <= box.bottom
    && r.top >= 0 && r.bottom <= window.innerHeight; }"""


def test_a_citation_opens_the_rendered_essay_scrolled_to_its_highlight(open_app, browser):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    remote, policy = watch(page)
    page.goto(f"{open_app.url}/")
    page.fill("#ca-question textarea", "What makes an AI practitioner valuable?")
    page.click("#ca-send")
    page.wait_for_selector("#ca-sources .ca-source", timeout=60_000)
    cited = page.locator("#ca-sources .ca-passage mark").first.inner_text()
    page.locator("#ca-chat sup.ca-cite a").first.click()
    page.wait_for_selector("#ca-viewer .ca-essay h2", timeout=20_000)
    essay = page.locator("#ca-viewer .ca-essay")
    assert "## " not in essay.inner_text() and "**" not in essay.inner_text()
    assert essay.locator("h1, h2, h3").count() >= 5 and essay.locator("li").count() >= 5
    page.wait_for_function(IN_VIEW, timeout=20_000)  # scrolled until the mark is in sight
    marked = " ".join(m.inner_text() for m in essay.locator("mark.ca-hl").all())
    assert words(marked)[:4] == words(cited)[:4], (marked, cited)
    page.locator("#ca-viewer").scroll_into_view_if_needed()
    page.wait_for_function(IN_VIEW, timeout=20_000)
    page.locator("#ca-viewer").screenshot(path=str(ARTIFACTS / "essay-viewer.png"))
    page.screenshot(path=str(ARTIFACTS / "essay-viewer-page.png"), full_page=True)
    assert remote == [] and policy == [], (remote, policy)
    page.close()


def test_read_more_opens_its_section_in_the_viewer(open_app, browser):
    """A click opens the section beside the chat; a ctrl-click opens it in a new tab."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{open_app.url}/")
    page.fill("#ca-question textarea", "What projects should I build to get an AI job?")
    page.click("#ca-send")
    page.wait_for_selector("#ca-chat .ca-more a", timeout=60_000)
    link = page.locator("#ca-chat .ca-more a").first
    assert "Effective Portfolio Strategies" in link.inner_text()
    assert link.get_attribute("target") == "_blank"
    assert "noopener" in (link.get_attribute("rel") or "")
    assert "Also about:" in page.locator("#ca-chat .ca-more").inner_text()
    page.screenshot(path=str(ARTIFACTS / "read-more.png"))

    link.click()
    page.wait_for_selector("#ca-viewer .ca-essay mark.ca-hl", timeout=60_000)
    page.wait_for_function(IN_VIEW, timeout=20_000)
    marked = " ".join(m.inner_text() for m in page.locator("#ca-viewer mark.ca-hl").all())
    assert marked.startswith("What worked for me") and "Quality over quantity" in marked, marked
    assert len(context.pages) == 1  # no tab was opened: the chat stays in view

    with context.expect_page(timeout=20_000) as opened:
        link.click(modifiers=["Control"])
    tab = opened.value
    tab.wait_for_selector("#ca-viewer .ca-essay mark.ca-hl", timeout=60_000)
    tab.wait_for_function(IN_VIEW, timeout=20_000)
    marked = " ".join(m.inner_text() for m in tab.locator("#ca-viewer mark.ca-hl").all())
    assert marked.startswith("What worked for me"), marked
    assert tab.evaluate("window.opener") is None  # the new tab can't reach the chat
    context.close()


def test_a_passage_link_to_a_hostile_essay_runs_nothing(open_app, browser):
    page = browser.new_page()
    remote, _ = watch(page)
    query = urlencode({"source": "hostile.md", "start": 0, "end": 10_000})
    page.goto(f"{open_app.url}/?{query}")
    page.wait_for_selector("#ca-viewer .ca-essay mark", timeout=60_000)
    page.wait_for_timeout(500)
    essay = page.locator("#ca-viewer .ca-essay")
    assert "<script>window.__xss = 1</script>" in essay.inner_text()
    assert essay.locator("a").count() == 0  # its only link is javascript: and stays text
    assert page.evaluate("window.__xss") is None and remote == []
    assert page.locator("#ca-viewer img").count() == 0
    page.close()
