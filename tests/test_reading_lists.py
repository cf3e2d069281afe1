"""Lists of titles: which lists they are, and which questions ask for them."""

from __future__ import annotations

import pytest

from assistant.answer.reading_lists import asks_for_resources, is_title, title_lists
from assistant.search import Unit


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("Software Engineer's Guidebook", True),
        ("The Coding Career Handbook", True),
        ("NeetCode", True),
        ("24 Pull Requests", True),
        ("Up For Grabs", True),
        ("Learn the STAR answer format", False),
        ("Prepare your answers to commonly asked questions", False),
        ("Influence: The Reach Of Your Work", False),  # a label and its description
        ("Read The Docs Received A Grant From Mozilla To Pay Two Maintainers", False),  # long
    ],
)
def test_is_title(text: str, title: bool) -> None:
    assert is_title(text) is title


def _units(lines: list[str]) -> list[Unit]:
    return [Unit(t.removeprefix("- "), n, t.startswith("- ")) for n, t in enumerate(lines)]


def test_a_list_of_titles_and_its_lead_in_are_found() -> None:
    units = _units(
        [
            "Projects welcome newcomers.",
            "You can also use one of the following resources:",
            "- GitHub Explore",
            "- Open Source Friday",
            "- First Timers Only",
            "Then read the contributing guide.",
        ]
    )
    assert title_lists(units) == {1, 2, 3, 4}


def test_advice_lists_and_short_pairs_are_not_lists_of_titles() -> None:
    advice = _units(
        [
            "How to prepare:",
            "- Learn the STAR answer format",
            "- Try out mock interviews",
            "- Use structured courses",
        ]
    )
    pair = _units(["- Fireship", "- NeetCode"])  # two names in passing
    mixed = _units(
        [
            "- Omar Halabieh 90-day career blueprint",
            "- Get Promoted",
            "- Stories of reaching staff-plus engineering roles",
        ]
    )
    assert title_lists(advice) == set()
    assert title_lists(pair) == set()
    assert title_lists(mixed) == set()


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("Any book recommendations for getting promoted?", True),
        ("Where should I go to keep improving once I have the job?", True),
        ("Which newsletters do engineers follow?", True),
        ("What will I actually be doing day to day in my first dev job?", False),
        ("How do I tell if a project is still alive?", False),
    ],
)
def test_asks_for_resources(question: str, asks: bool) -> None:
    assert asks_for_resources(question) is asks
