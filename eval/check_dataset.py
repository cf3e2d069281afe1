"""Validate a hand-made evaluation dataset (JSON Lines) against the essays it cites.

Usage:
    python eval/check_dataset.py eval/datasets/gold.jsonl --root ../shared
    python eval/check_dataset.py eval/datasets/refusal-tune.jsonl --root ../shared \
        --against eval/datasets/dev-test.jsonl

Prints one line per problem as ``LINE N (id): problem``, then ``N questions, M problems``.
Exits 1 when there are problems, 0 otherwise, 2 when the dataset cannot be read at all.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path, PurePosixPath
from typing import Any

FIELDS: tuple[str, ...] = (
    "id",
    "question",
    "history",
    "answerable",
    "sources",
    "evidence",
    "key_points",
    "kind",
)
ANSWERABLE_KINDS = frozenset({"factual", "multi", "followup"})
UNANSWERABLE_KINDS = frozenset({"unanswerable", "offtopic", "injection"})
KINDS = ANSWERABLE_KINDS | UNANSWERABLE_KINDS
LIST_FIELDS: tuple[str, ...] = ("history", "sources", "evidence", "key_points")
MIN_KEY_POINTS = 2
MAX_KEY_POINTS = 4


class _DuplicateKeyError(ValueError):
    pass


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise _DuplicateKeyError(f"duplicate field {key!r}")
        obj[key] = value
    return obj


def _is_str_list(value: object) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


class _SourceCache:
    """Reads each source file once; remembers why a file could not be used."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._texts: dict[str, str | None] = {}
        self._errors: dict[str, str] = {}

    def text(self, rel: str) -> str | None:
        if rel not in self._texts:
            self._texts[rel] = self._load(rel)
        return self._texts[rel]

    def error(self, rel: str) -> str:
        return self._errors.get(rel, "")

    def _load(self, rel: str) -> str | None:
        pure = PurePosixPath(rel)
        if not rel or pure.is_absolute() or ".." in pure.parts or "\\" in rel:
            self._errors[rel] = f"source {rel!r} must be a plain path relative to the root"
            return None
        path = self.root / pure
        if not path.is_file():
            self._errors[rel] = f"source {rel!r} not found under {self.root}"
            return None
        try:
            return path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            self._errors[rel] = f"source {rel!r} is not valid UTF-8"
        except OSError as exc:
            self._errors[rel] = f"source {rel!r} cannot be read: {exc.strerror or exc}"
        return None


def _check_item(item: dict[str, Any], sources: _SourceCache) -> list[str]:
    """Problems with one parsed object (without the LINE prefix)."""
    problems: list[str] = []
    keys = list(item)
    missing = [f for f in FIELDS if f not in item]
    extra = [k for k in keys if k not in FIELDS]
    if missing:
        problems.append(f"missing fields: {', '.join(missing)}")
    if extra:
        problems.append(f"unexpected fields: {', '.join(extra)}")
    if not missing and not extra and tuple(keys) != FIELDS:
        problems.append(f"fields out of order: {', '.join(keys)} (expected {', '.join(FIELDS)})")

    ok: set[str] = set()  # fields present with the right type
    for name in ("id", "question", "kind"):
        if name in item:
            value = item[name]
            if not isinstance(value, str):
                problems.append(f"{name} must be a string, got {type(value).__name__}")
            elif not value.strip():
                problems.append(f"{name} must not be empty")
            else:
                ok.add(name)
    if "answerable" in item:
        if isinstance(item["answerable"], bool):
            ok.add("answerable")
        else:
            problems.append(
                f"answerable must be a boolean, got {type(item['answerable']).__name__}"
            )
    for name in LIST_FIELDS:
        if name in item:
            value = item[name]
            if not _is_str_list(value):
                problems.append(f"{name} must be a list of strings")
            elif any(not s.strip() for s in value):
                problems.append(f"{name} contains an empty string")
            else:
                ok.add(name)
                if len(set(value)) != len(value):
                    problems.append(f"{name} contains duplicates")

    kind: str | None = item["kind"] if "kind" in ok else None
    if kind is not None and kind not in KINDS:
        problems.append(f"kind {kind!r} is not one of {', '.join(sorted(KINDS))}")
        kind = None

    if kind is not None and "answerable" in ok:
        expected = kind in ANSWERABLE_KINDS
        if item["answerable"] is not expected:
            problems.append(f"answerable must be {str(expected).lower()} for kind {kind!r}")

    if kind == "followup" and "history" in ok and not item["history"]:
        problems.append("followup must have a non-empty history")

    if kind in ANSWERABLE_KINDS:
        if "sources" in ok and not item["sources"]:
            problems.append("answerable item needs at least 1 source")
        if "evidence" in ok and not item["evidence"]:
            problems.append("answerable item needs at least 1 evidence quote")
        if "key_points" in ok and not MIN_KEY_POINTS <= len(item["key_points"]) <= MAX_KEY_POINTS:
            problems.append(
                f"answerable item needs {MIN_KEY_POINTS}-{MAX_KEY_POINTS} key_points, "
                f"got {len(item['key_points'])}"
            )
    elif kind in UNANSWERABLE_KINDS:
        for name in ("sources", "evidence", "key_points"):
            if name in ok and item[name]:
                problems.append(f"{name} must be empty for kind {kind!r}")

    texts: list[str] = []
    if "sources" in ok:
        for rel in item["sources"]:
            text = sources.text(rel)
            if text is None:
                problems.append(sources.error(rel))
            else:
                texts.append(text)
    if "evidence" in ok and "sources" in ok and texts:
        for quote in item["evidence"]:
            if quote.strip() and not any(quote in text for text in texts):
                shown = quote if len(quote) <= 80 else quote[:77] + "..."
                problems.append(f"evidence not found verbatim in the listed sources: {shown!r}")
    return problems


def _check(path: Path, root: Path) -> tuple[int, list[str]]:
    """Return (number of questions, problems). Raises OSError/UnicodeDecodeError if unreadable."""
    lines = path.read_text(encoding="utf-8").splitlines()
    sources = _SourceCache(root)
    problems: list[str] = []
    first_line_of_id: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            problems.append(f"LINE {number} (?): blank line")
            continue
        try:
            item: object = json.loads(line, object_pairs_hook=_no_duplicate_keys)
        except _DuplicateKeyError as exc:
            problems.append(f"LINE {number} (?): {exc}")
            continue
        except json.JSONDecodeError as exc:
            problems.append(f"LINE {number} (?): invalid JSON: {exc.msg} at column {exc.colno}")
            continue
        if not isinstance(item, dict):
            problems.append(f"LINE {number} (?): expected a JSON object, got {type(item).__name__}")
            continue
        raw_id = item.get("id")
        label = raw_id if isinstance(raw_id, str) and raw_id.strip() else "?"
        if label != "?":
            if label in first_line_of_id:
                first = first_line_of_id[label]
                problems.append(f"LINE {number} ({label}): duplicate id (first on line {first})")
            else:
                first_line_of_id[label] = number
        problems.extend(f"LINE {number} ({label}): {p}" for p in _check_item(item, sources))
    return sum(1 for line in lines if line.strip()), problems


def check(path: Path, root: Path) -> list[str]:
    """Problems found in the dataset at ``path``; source paths are relative to ``root``."""
    return _check(path, root)[1]


# Two questions sharing this share of their content words ask the same thing in other
# words: "If I open source my tool, does that mean I can never make money?" and "…my app…"
# (0.67). No two questions of the tune and test splits written first came above 0.30.
NEAR_DUPLICATE = 0.3
_FILLER = frozenset(
    "a an the i my me to of and or in on for is it do does how what should can at be with "
    "that this if are was you your about from as but not so just get i'm i've don't there "
    "they their them any".split()
)


def _content_words(question: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9']+", question.lower()) if w not in _FILLER}


def near_duplicates(path: Path, against: Path) -> list[str]:
    """Questions of ``path`` that ask what a question of ``against`` asks, in nearly its
    words: a tune set must not hold the test set's questions reworded."""

    def questions(p: Path) -> list[tuple[str, set[str]]]:
        rows = [json.loads(line) for line in p.read_text(encoding="utf-8").splitlines() if line]
        return [(row["id"], _content_words(row["question"])) for row in rows]

    theirs = questions(against)  # read once, not once per question of ``path``
    found = []
    for a, wa in questions(path):
        for b, wb in theirs:
            share = len(wa & wb) / max(1, len(wa | wb))
            if share >= NEAR_DUPLICATE:
                found.append(f"{a} nearly repeats {b} of {against.name} ({share:.2f})")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Validate an evaluation dataset (JSON Lines) against the essays it cites."
    )
    parser.add_argument("dataset", type=Path, help="the .jsonl file to check")
    parser.add_argument(
        "--root",
        type=Path,
        default=Path("../shared"),
        help="folder that source paths are relative to (default: ../shared)",
    )
    parser.add_argument(
        "--against",
        type=Path,
        action="append",
        default=[],
        help="a set this one must not repeat in other words (a tune set against its test set)",
    )
    args = parser.parse_args(argv)
    try:
        count, problems = _check(args.dataset, args.root)
        for other in args.against:
            problems.extend(near_duplicates(args.dataset, other))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"cannot read {args.dataset}: {exc}", file=sys.stderr)
        return 2
    for problem in problems:
        print(problem)
    print(f"{count} questions, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
