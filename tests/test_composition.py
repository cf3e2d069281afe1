"""What the extractive generator may use as a claim: sentences about the subject, never
navigation, captions, sign-offs or questions put to the reader."""

from __future__ import annotations

import pytest

from assistant.answer.claims import in_reference_section, is_claim
from assistant.search import Unit


@pytest.mark.parametrize(
    "text",
    [
        "Check out our guide to negotiating for more tips.",
        "See our advice on preparing a self introduction.",
        "This guide will provide a quick overview of the top tips.",
        "I will also be adding content on recommended study plans soon.",
        "Summary checklist of the four key steps:",
        "And that is all from me.",
        "Is there a structured method to increase your chances?",
        "Subscribe to get new posts by email.",
        "For more tips, refer to my full interview preparation guide here.",
        "Here, I present questions to ask at the end of your interviews.",
        "Here we will provide some insights into the factors you should be considering.",
        "We are going to explore how teams handle on-call duty.",
        "Here we'll provide some insights into choosing a team.",
        "We’re going to look at how offers are structured.",
        "We go into this more in the Negotiation section.",
        "The Understanding Compensation section goes into more detail.",
        "From my years as a recruiter, I'd like to share insights that might help others.",
        "And that is it from me in terms of resume preparation - hope this helps!",
        "Summary checklist of the four key steps to create a great software engineering resume",
        "Acme Careers is currently offering resume templates at 70% off.",
        "section | Heading Name",
        'Key points extracted from "Ten Rules for Negotiating a Job Offer" by Haseeb Qureshi.',
        "Originally published on the author's blog in 2019.",
        "Adapted from a talk at a meetup.",
        "The following page is a collaboration with Austen McDonald, former Senior Engineering"
        " Manager at Meta.",
        'The following page is written in collaboration with Jordan Cutler — Author of "High'
        ' Growth Engineer" newsletter',
        "Singapore salary data taken from NUS GES 2021.",
        "If you've received an offer (or even better, offers), congratulations!",
        "Whether you just made your first contribution, we hope you're inspired to take action.",
        "Hooray!",
        "Good luck with your interviews!",
        # The behavioural-interview essay's own broken sentence (a link it never filled in).
        "For example, perhaps you need more stories around past mistakes or .",
        "Pick the ones that suit you and.",
        'Ask for "the offer, the".',
        # Labels on a line of their own and cheers (the handbook's).
        "Expert tip",
        "Don'ts",
        "Frequency: Occasional",
        "Awesome!",
        "The following article was written in a collaboration with a recruiter.",
        "(See more detailed instructions here.)",
        "See also the section on licenses.",
        # More elsewhere, and the page's type (the interview guides' own sentences).
        "We also have in-depth guides about negotiation strategies and compensation.",
        "The ones in **bold** are the ones that tend to make the interviewer go \"That's a"
        ' good question".',
    ],
)
def test_navigation_captions_and_questions_are_not_claims(text: str) -> None:
    assert not is_claim(Unit(text, 0, False))


@pytest.mark.parametrize(
    "text",
    [
        "Never give the first number in a negotiation.",
        "A few well-documented, novel projects outweigh many tutorial implementations.",
        "The most valuable practitioners possess:",
        "Ask the recruiter for time to think it over.",
        "Note down everything on your phone call with the recruiters.",
        "Summarise your impact in one line per project.",
        "Notes from your one-on-ones are useful in a performance review.",
        "Published papers count for little in most industry interviews.",
        "Use numbers taken from your own performance reviews when you negotiate.",
        "We will provide a reference letter if you ask for one.",
        "I'd like to share one rule: never give a number first.",
        "I'd like to share some tips: never give a number first.",
        "I'd like to share a few lessons I learned: ask for time.",
        "We would like to offer you the position.",
        "Be ready to go into more detail on your projects.",
        "You will see more contributors once the README says how to start.",
        # Ending on a capital "A" or a preposition is a whole sentence.
        "Have a backup offer: a Plan B, not just Plan A.",
        "Note down everything, as it may be helpful later on.",
        "Pick a company you are proud to work for.",
        "Be concise.",
        "Sound natural!",
        "Get paid more.",
        'Just say "no."',
        'Ask "why?"',
        "Write it in plain English, not in bold capitals.",
        "We have found that short READMEs get read.",
        "Never accept immediately…",
        # Abbreviations end on "a", "or" without breaking anything off.
        "Expect around $120,000 p.a.",
        "Leave it blank or write n/a.",
        "It's not an either/or.",
        "Remote or office is not an either-or.",
    ],
)
def test_statements_advice_and_lead_ins_are_claims(text: str) -> None:
    assert is_claim(Unit(text, 0, False))


def test_a_list_item_that_asks_is_still_an_item() -> None:
    assert is_claim(Unit("What does the team work on?", 0, True))


def test_a_short_list_item_is_not_a_label() -> None:
    """Items name their point in a few words ("Base salary", "CodeTriage"): as items of
    their list they are claims, where the same words alone on a line are a label."""
    assert is_claim(Unit("Base salary", 0, True))
    assert not is_claim(Unit("Base salary", 0, False))


@pytest.mark.parametrize(
    "heading",
    [
        ("Career growth", "References"),
        ("Additional Resources",),
        ("Contributors",),
        ("Further reading:",),
        ("See also",),
        ("5. References",),
        ("References and further reading",),
        ("Acknowledgements",),
    ],
)
def test_reference_lists_and_credits_hold_no_claims(heading: tuple[str, ...]) -> None:
    # Their items are link titles and names: "Every Public Engineering Career Ladder".
    assert in_reference_section(heading)


@pytest.mark.parametrize(
    "heading",
    [
        ("Resources to use in your practice",),
        ("Utilize the best system design interview preparation resources",),
        ("Meet contributors where they're at",),
        ("Funding", "Sources"),
        ("References", "Books about negotiation"),
        (),
    ],
)
def test_sections_about_resources_or_contributors_still_hold_claims(
    heading: tuple[str, ...],
) -> None:
    assert not in_reference_section(heading)


def test_an_items_sentence_that_points_elsewhere_is_left_out() -> None:
    """A list item is a claim though one of its sentences only points elsewhere: the
    answer quotes the item without it."""
    from assistant.answer.clauses import as_clause
    from assistant.answer.composing import _cited_clause

    item = (
        'Pull in changes from "upstream" often so that you stay up to date. '
        "(See more detailed instructions here.)"
    )
    assert is_claim(Unit(item, 0, True))
    clause = as_clause(item, frozenset({"pull"}))
    assert _cited_clause(clause, 4) == (
        'pull in changes from "upstream" often so that you stay up to date [4]'
    )
    # An item of one sentence is quoted as it is.
    assert as_clause("See more here.", frozenset()) == "See more here"
    # A caption's or a summary's words inside an item are advice, not navigation.
    for advice in (
        "Sketch the high-level components first. Diagram the data flow before details.",
        "Keep your resume short. Summary sections should be one or two lines.",
    ):
        assert as_clause(advice, frozenset()) == advice.rstrip(".")
