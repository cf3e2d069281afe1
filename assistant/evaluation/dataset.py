"""Gold question sets: one JSON object per line (see ``eval/check_dataset.py``), and the
conversations the evaluation builds from them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Item:
    id: str
    question: str
    history: list[str]
    answerable: bool
    sources: list[str]
    evidence: list[str]
    key_points: list[str]
    kind: str


def load_dataset(path: Path) -> list[Item]:
    items = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                items.append(Item(**json.loads(line)))
            except (ValueError, TypeError) as exc:
                raise ValueError(
                    f"{path}:{n}: not a gold item ({exc}); see eval/check_dataset.py"
                ) from exc
    return items


def topic_switches(items: Sequence[Item]) -> dict[str, str]:
    """For each standalone answerable question, a question on other essays to have been
    asked just before it: the next such question of the set, cyclically. Asked after
    it, the question starts a new topic and must be retrieved as if asked alone."""
    solo = [i for i in items if i.answerable and not i.history and i.kind != "injection"]
    out: dict[str, str] = {}
    for n, item in enumerate(solo):
        others = [p for p in solo[n + 1 :] + solo[:n] if not set(p.sources) & set(item.sources)]
        if others:
            out[item.id] = others[0].question
    return out
