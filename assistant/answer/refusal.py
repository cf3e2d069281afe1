"""The words of a refusal: plain about what the essays don't cover, and why."""

from __future__ import annotations

from collections.abc import Sequence

from assistant.search import Retrieved

NOT_COVERED_TEXT = "The essays don't cover this question."


def refusal_text(reason: str, retrieved: Retrieved | None, unseen: Sequence[str] = ()) -> str:
    """What the user reads when the essays don't cover the question, by reason."""
    if reason == "instructions":
        return (
            "I answer career questions from the essays in my collection, and I can't follow "
            "instructions about how I work. Ask me about careers, interviews, offers or "
            "open source."
        )
    if reason == "live-data":
        return (
            f"{NOT_COVERED_TEXT} The essays are a fixed collection, not a live source, so "
            "they can't give current prices, rates or figures."
        )
    if reason == "off-topic" or retrieved is None or not retrieved.hits:
        return f"{NOT_COVERED_TEXT} I can only answer from the career essays in my collection."
    if reason == "unseen-names" and unseen:
        # The user's own words, so they see exactly what no essay mentions.
        named = ", ".join(f"“{n}”" for n in unseen[:4])
        return f"{NOT_COVERED_TEXT} No essay mentions {named}. " + _closest(retrieved)
    if reason == "unexplained-term" and unseen:
        return f"{NOT_COVERED_TEXT} No essay explains “{unseen[0]}”. " + _closest(retrieved)
    return f"{NOT_COVERED_TEXT} " + _closest(retrieved)


def _closest(retrieved: Retrieved) -> str:
    titles: list[str] = []
    for hit in retrieved.hits:
        if hit.chunk.title not in titles:
            titles.append(hit.chunk.title)
    closest = "; ".join(f"“{t}”" for t in titles[:2])
    return f"The closest essays are {closest}."
