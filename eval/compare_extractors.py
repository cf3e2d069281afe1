"""Which HTML extractor keeps a saved blog post's article and drops its boilerplate?

Runs trafilatura, readability-lxml and jusText on the saved pages in
``tests/data/pages`` and scores each against ``tests/data/pages/truth.json``: the share
of the article's sentences (title, headings, paragraphs, list items) found in the
extracted text, and the share of boilerplate lines (menus, cookie banners, sidebars,
comments, related posts, footers) left out. A line counts as found when all its
words appear, in order, in the extracted text's words.

    .venv/bin/python eval/compare_extractors.py

Prints a table; asserts nothing (the choice is pinned in pyproject.toml, the figures
are in the README).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

PAGES = Path(__file__).resolve().parents[1] / "tests" / "data" / "pages"


def words(text: str) -> str:
    return " " + " ".join(re.findall(r"\w+", text.lower())) + " "


def found(line: str, extracted: str) -> bool:
    return words(line) in extracted


def run_trafilatura(page: str) -> str:
    import trafilatura

    return trafilatura.extract(page, output_format="markdown", include_comments=False) or ""


def run_readability(page: str) -> str:
    from lxml import html
    from readability import Document

    summary = Document(page).summary(html_partial=True)
    return str(html.fromstring(summary).text_content()) if summary.strip() else ""


def run_justext(page: str) -> str:
    import justext

    paragraphs = justext.justext(page.encode("utf-8"), justext.get_stoplist("English"))
    return "\n".join(p.text for p in paragraphs if not p.is_boilerplate)


EXTRACTORS: dict[str, Callable[[str], str]] = {
    "trafilatura": run_trafilatura,
    "readability-lxml": run_readability,
    "jusText": run_justext,
}


def decode(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252")  # the one legacy page declares windows-1252


def main() -> int:
    truth = json.loads((PAGES / "truth.json").read_text(encoding="utf-8"))
    rows = []
    for name, fn in EXTRACTORS.items():
        kept = total_a = dropped = total_b = 0
        per_page = []
        for page, expected in truth.items():
            text = words(fn(decode(PAGES / page)))
            article = expected["article"]
            # One-word menu items ("Home") can't be told apart from article words.
            boiler = [b for b in expected["boilerplate"] if len(words(b).split()) >= 2]
            k = sum(found(s, text) for s in article)
            d = sum(not found(b, text) for b in boiler)
            kept, total_a, dropped, total_b = (
                kept + k,
                total_a + len(article),
                dropped + d,
                total_b + len(boiler),
            )
            per_page.append(f"{k}/{len(article)} kept, {d}/{len(boiler)} dropped")
        rows.append((name, kept / total_a, dropped / total_b, per_page))
    pages = list(truth)
    print(
        "| extractor | article sentences kept | boilerplate lines dropped | "
        + " | ".join(pages)
        + " |"
    )
    print("| --- | --- | --- | " + " | ".join("---" for _ in pages) + " |")
    for name, a, b, per_page in rows:
        print(f"| {name} | {a:.0%} | {b:.0%} | " + " | ".join(per_page) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
