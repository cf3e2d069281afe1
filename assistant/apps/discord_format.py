"""What the Discord bot sends: an answer's text cut into messages, and its sources as
embed fields, within Discord's limits.

A long answer is cut between sentences, so no sentence loses its ``[n]`` marker; the
sources' fields fit one embed, and the essays' words (titles above all) are escaped so
Discord's Markdown cannot turn them into links. Needs no discord.py.
"""

import re
from urllib.parse import urlencode

from assistant.domain import Answer
from assistant.search import split_sentences

MESSAGE_LIMIT = 2000
EMBED_TOTAL = 6000
FIELD_NAME, FIELD_VALUE, MAX_FIELDS = 256, 1024, 25
APOLOGY = "Sorry, I couldn't answer that just now. Please try again in a moment."


def split_message(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Pieces of at most ``limit`` characters, cut between sentences (a sentence keeps
    its ``[n]``), or between words when one sentence alone is too long."""
    pieces: list[str] = []
    current = ""
    for paragraph in text.split("\n"):
        units = split_sentences(paragraph) or [""]
        for i, sentence in enumerate(units):
            sep = "" if not current else ("\n" if i == 0 else " ")
            if len(current) + len(sep) + len(sentence) <= limit:
                current += sep + sentence
                continue
            if current:
                pieces.append(current)
            current = ""
            # A marker group ("[1, 2].") is one token: never cut between its numbers.
            for token in re.findall(r"\[[\d,\s]+\][.,;:!?]*|\S+", sentence):
                word = token
                if len(word) > limit:  # one absurd token: flush, then hard cut it
                    if current:
                        pieces.append(current)
                        current = ""
                    while len(word) > limit:
                        pieces.append(word[:limit])
                        word = word[limit:]
                if len(current) + len(word) + (1 if current else 0) > limit:
                    pieces.append(current)
                    current = word
                else:
                    current = f"{current} {word}" if current else word
    if current:
        pieces.append(current)
    return [p for p in pieces if p.strip()]


def answer_text(answer: Answer) -> str:
    """The answer as a message: the essays' words as they are, so an essay's title ("The
    author of “[Claim your bonus](https://phish.example)” writes: …", "The closest essays
    are …") cannot become a masked link, a heading or bold text; the ``[n]`` markers stay,
    and a bare web address is sent whole in "<…>" (Discord would link one with the
    backslashes of escaping in it)."""
    text = "".join(_kept(part) for part in _KEPT.split(answer.text) if part)
    return f"**Not covered by the essays.** {text}" if answer.refused else text


def source_fields(answer: Answer, base_url: str = "") -> list[tuple[str, str]]:
    """(name, value) embed fields for the citations, within Discord's embed limits."""
    fields: list[tuple[str, str]] = []
    total = 0
    for c in answer.citations[:MAX_FIELDS]:
        heading = f" — {c.heading}" if c.heading else ""
        name = f"[{c.n}] {c.title}{heading}"
        if len(name) > FIELD_NAME:
            name = name[: FIELD_NAME - 1] + "…"
        quote = c.quote if len(c.quote) <= 300 else c.quote[:299] + "…"
        value = f"“{quote}”" + _link(base_url, c.source, c.start, c.end)
        value = value[:FIELD_VALUE]
        if total + len(name) + len(value) > EMBED_TOTAL - 100:
            break
        total += len(name) + len(value)
        fields.append((name, value))
    more = _read_more_field(answer, base_url)
    if (
        more
        and len(fields) < MAX_FIELDS
        and total + len(more[0]) + len(more[1]) <= EMBED_TOTAL - 100
    ):
        fields.append(more)
    return fields


def _read_more_field(answer: Answer, base_url: str) -> tuple[str, str] | None:
    """One last field naming the sections to read on (``Answer.read_more``), if any."""
    lines = []
    for r in answer.read_more:
        heading = f" — {r.heading}" if r.heading else ""
        text = _no_markdown(f"{r.title}{heading} ({r.why})")
        lines.append(f"• {text}{_link(base_url, r.source, r.start, r.end)}")
    if not lines:
        return None
    value = "\n".join(lines)
    return "Read more", value if len(value) <= FIELD_VALUE else value[: FIELD_VALUE - 1] + "…"


# Discord renders Markdown in a field's value, masked links included: an essay's title
# `[Claim your bonus](https://phish.example)` must stay the text it is.
_DISCORD_MARKDOWN = re.compile(r"([\\`*_~|<>\[\]()#-])")


# A citation marker, "[1]" or "[1, 2]": split out whole (the group captures it).
_MARKER = re.compile(r"(\[\d+(?:,\s*\d+)*\])")
# A bare web address: no brackets but balanced round ones ("wiki/Foo_(bar)"), no quotes,
# apostrophes, backslashes or pings in it (a masked link's "](" stays escaped around it),
# nor the full stop or comma that ends a sentence. Sent in "<…>", so Discord's link ends
# where ours does (and shows no preview).
_URL_CHAR = r"[^\s<>()\[\]`*|~\\\"“”'’]"
_URL_END = r"[^\s<>()\[\]`*|~\\\"“”'’.,;:!?]"
_BARE_URL = re.compile(
    rf"(https?://(?:{_URL_CHAR}|\({_URL_CHAR}*\))*(?:{_URL_END}|\({_URL_CHAR}*\)))"
)
_KEPT = re.compile(f"{_MARKER.pattern}|{_BARE_URL.pattern}")


def _kept(part: str) -> str:
    # Each of _KEPT's two groups is None where the other matched: the caller drops those.
    if _MARKER.fullmatch(part):
        return part
    return f"<{part}>" if _BARE_URL.fullmatch(part) else _no_markdown(part)


def _no_markdown(text: str) -> str:
    return _DISCORD_MARKDOWN.sub(r"\\\1", text)


def _link(base_url: str, source: str, start: int, end: int) -> str:
    """A new line with the web chat's link to a passage, when it has a public URL."""
    if not base_url:
        return ""
    return f"\n{base_url.rstrip('/')}/?{urlencode({'source': source, 'start': start, 'end': end})}"
