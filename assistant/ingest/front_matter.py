"""An essay's front matter: where the body starts, and the metadata and title kept from it.

Essays open with Jekyll/Docusaurus YAML front matter, or with none, or with a broken
one; none of that may stop the body being read. The fields kept are plain strings
(Chroma stores scalars), cleaned of what no reader or terminal should see; an essay
without a title takes one from its file name.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import PurePosixPath
from typing import Any

import yaml

from assistant.domain import clean_text

# A title made from a file name is cut here: the title prefixes every chunk the model
# sees, and a 255-byte name of one-token pieces would leave no room for the passage.
_MAX_NAME_TITLE = 100

_FRONT_MATTER_END = re.compile(r"^(---|\.\.\.)[ \t]*\r?$", re.MULTILINE)


def _front_matter(text: str) -> tuple[int, re.Match[str] | None, int]:
    """(end of the opening ``---`` line or -1 without one, the closing line, body start)."""
    start = 1 if text.startswith("\ufeff") else 0
    first_nl = text.find("\n", start)
    if first_nl < 0 or text[start:first_nl].rstrip() != "---":
        return -1, None, 0
    m = _FRONT_MATTER_END.search(text, first_nl + 1)
    if m is None:
        return first_nl, None, 0  # never closed: the whole file is read as text
    body = text.find("\n", m.end())
    return first_nl, m, len(text) if body < 0 else body + 1


def body_start(text: str) -> int:
    """Where the body starts after YAML front matter, without parsing the YAML (the essay
    viewer shows the body only)."""
    return _front_matter(text)[2]


def split_front_matter(text: str) -> tuple[dict[str, Any], int, str]:
    """Return (metadata, offset where the body starts, error message or "")."""
    first_nl, m, body = _front_matter(text)
    if first_nl < 0:
        return {}, 0, ""
    if m is None:
        return {}, 0, "front matter starts with --- but never ends; read as plain text"
    try:
        data = yaml.safe_load(text[first_nl + 1 : m.start()])
    except yaml.YAMLError as exc:
        reason = str(exc).splitlines()[0]
        return {}, body, f"front matter is not valid YAML ({reason}); metadata ignored"
    if data is None:
        return {}, body, ""
    if not isinstance(data, dict):
        return {}, body, "front matter is not a YAML mapping; metadata ignored"
    return data, body, ""


def _scalar(value: Any, limit: int = 300) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        value = value.get("name") or value.get("title") or ""
    if isinstance(value, list):
        value = ", ".join(_scalar(v) for v in value[:20])
    if value is None:
        return ""
    # YAML can spell any character ("\\ud800", "\\x1b"): escaped here, a surrogate can't
    # reach the tokenizer or Chroma, nor an escape sequence a terminal.
    return clean_text(" ".join(str(value).split())[:limit])


def essay_metadata(meta: dict[str, Any]) -> dict[str, Any]:
    """The front matter fields we keep, as plain strings (Chroma stores scalars)."""
    categories = meta.get("categories") or meta.get("tags") or meta.get("keywords") or []
    if isinstance(categories, str):
        categories = [c for c in re.split(r"[,\s]+", categories) if c]
    if not isinstance(categories, list):
        categories = [categories]
    url = _scalar(meta.get("url") or meta.get("permalink") or meta.get("canonical_url"))
    return {
        "title": _scalar(meta.get("title")),
        "date": _scalar(meta.get("date")),
        "author": _scalar(meta.get("author") or meta.get("authors")),
        "categories": tuple(_scalar(c, 60) for c in categories[:20] if _scalar(c, 60)),
        # Shown to clients as the essay's address: a javascript: or data: one is no address.
        "url": url if url.lower().startswith(("http://", "https://")) else "",
    }


def title_from_filename(source: str) -> str:
    stem = PurePosixPath(source).stem.replace("_", " ").replace("-", " ").strip()
    title = stem[:1].upper() + stem[1:] if stem else source
    if len(title) <= _MAX_NAME_TITLE:
        return title
    cut = title[:_MAX_NAME_TITLE]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"
