"""Lists of titles: which lists they are, and which questions ask for them."""

from __future__ import annotations

import pytest

from assistant.answer.reading_lists import asks_for_resources, is_title, reading_lists
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
        ("Clean Code: A Handbook of Agile Software Craftsmanship", True),  # with a subtitle
        ("Read The Docs Received A Grant From Mozilla To Pay Two Maintainers", False),  # long
    ],
)
def test_is_title(text: str, title: bool) -> None:
    assert is_title(text) is title


def _units(lines: list[str]) -> list[Unit]:
    return [Unit(t.removeprefix("- "), n, t.startswith("- ")) for n, t in enumerate(lines)]


def test_a_reading_list_and_its_lead_in_are_found() -> None:
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
    assert reading_lists(units) == {1, 2, 3, 4}
    books = _units(["- Software Engineer's Guidebook", "- Get Promoted", "- The Coding Career"])
    assert reading_lists(books, "Books") == {0, 1, 2}  # named by its heading


def test_other_lists_are_not_reading_lists() -> None:
    advice = _units(
        [
            "How to prepare:",
            "- Learn the STAR answer format",
            "- Try out mock interviews",
            "- Use structured courses",
        ]
    )
    roles = _units(  # capitalised, short, and explained by the essay: no titles to look up
        [
            "Here are a few types of roles you may recognize:",
            "- Maintainer",
            "- Contributor",
            "- Committer",
        ]
    )
    pair = _units(["- Fireship", "- NeetCode"])  # two names in passing
    rows = _units(["The figures:", "- Stripe | $6000", "- Google | $5400", "- Grab | $2500"])
    assert reading_lists(advice, "Resources") == set()
    assert reading_lists(roles, "What are examples of formal roles?") == set()
    assert reading_lists(pair, "YouTube") == set()
    assert reading_lists(rows, "Useful sites") == set()


@pytest.mark.parametrize(
    ("question", "asks"),
    [
        ("Any book recommendations for getting promoted?", True),
        ("Where should I go to keep improving once I have the job?", True),
        ("Which newsletters do engineers follow?", True),
        ("What will I actually be doing day to day in my first dev job?", False),
        ("How do I tell if a project is still alive?", False),
        ("How do I find a good first project to contribute to?", True),
        ("What should I do to keep growing after I get hired?", True),
    ],
)
def test_asks_for_resources(question: str, asks: bool) -> None:
    assert asks_for_resources(question) is asks


def test_a_follow_up_asks_through_the_query_it_was_read_with() -> None:
    assert asks_for_resources("Any others?", "Any others? Any book recommendations?")
