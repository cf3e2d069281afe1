"""Sibling sections the question passes over (search/siblings.py): pure logic, no index."""

from __future__ import annotations

from assistant.search import Section, siblings_not_asked

LEVELS = "levels.md"
PARENT = ("Career levels",)


def sibling(heading: str, opening: str = "", *, source: str, title: str, parent: str) -> Section:
    """A passage of the section ``heading`` under ``parent``, its text its opening."""
    return Section(source, title, (parent, heading), opening, opening)


def level(name: str, opening: str, years: str = "") -> Section:
    text = f"{opening}\nExperience: Typically {years or 'some'} years of experience."
    return Section(LEVELS, "Engineering levels", (*PARENT, name), opening, text)


SECTIONS = [
    level(
        "Junior Software Engineer", "Description: Entry-level role, practical experience.", "0-2"
    ),
    level("Software Engineer", "Description: Mid-level role with a broader range.", "2-5"),
    level("Senior Software Engineer", "Description: Experienced individual contributor.", "5+"),
    level("Staff Software Engineer", "Description: Highly skilled individual contributor.", "10+"),
    level("Senior Staff Software Engineer", "Description: A more advanced version of Staff."),
]


def test_a_named_level_passes_over_the_others():
    passed = siblings_not_asked("What does a staff engineer do all day?", SECTIONS)
    # "Staff" fits better than "Senior Staff", which says more besides.
    assert passed == {0, 1, 2, 4}


def test_a_sibling_named_by_its_opening_stays():
    asked = "I'm a junior dev. How long until I'm promoted to mid-level?"
    assert siblings_not_asked(asked, SECTIONS) == {2, 3, 4}


def test_a_word_the_named_section_uses_too_names_no_other():
    # Junior's opening says "experience", but so does Staff's text: only Staff stays.
    asked = "How many years of experience do staff engineers usually have?"
    assert siblings_not_asked(asked, SECTIONS) == {0, 1, 2, 4}


def test_a_comparison_keeps_every_sibling_it_names():
    asked = "What's the difference between a senior and a staff engineer?"
    assert siblings_not_asked(asked, SECTIONS) == {0, 1}


def test_a_question_naming_no_heading_asks_of_them_all():
    assert siblings_not_asked("How are engineering levels defined?", SECTIONS) == set()


def test_long_headings_are_rules_not_labels():
    def rule(heading: str, opening: str) -> Section:
        return sibling(heading, opening, source="rules.md", title="Negotiation", parent="Ten rules")

    rules = [
        rule("Get the offer in writing first", "Write it down."),
        rule("Always keep the door open", "Never say no to an offer."),
        rule("Never be the first to name a number", "Wait."),
    ]
    # "writing" names one rule's heading; the question still asks for all of them.
    assert siblings_not_asked("How do I negotiate an offer in writing?", rules) == set()
    short = [
        s._replace(heading=(*s.heading[:-1], " ".join(s.heading[-1].split()[:4]))) for s in rules
    ]
    assert siblings_not_asked("How do I negotiate an offer in writing?", short) == {1, 2}


def test_passages_of_one_section_or_of_other_essays_are_not_siblings():
    one = [level("Staff Software Engineer", "Description."), level("Staff Software Engineer", "")]
    assert siblings_not_asked("What does a staff engineer do?", one) == set()
    apart = [
        Section("a.md", "A", ("Levels", "Staff"), "Staff engineers lead.", ""),
        Section("b.md", "B", ("Levels", "Senior"), "Seniors mentor.", ""),
    ]
    assert siblings_not_asked("What does a staff engineer do?", apart) == set()
    top = [
        Section("a.md", "A", ("Staff",), "Staff.", ""),
        Section("a.md", "A", ("Senior",), "", ""),
    ]
    assert siblings_not_asked("What does a staff engineer do?", top) == set()


def test_a_question_asking_of_two_siblings_keeps_both():
    def stage(heading: str, opening: str) -> Section:
        return sibling(heading, opening, source="guide.md", title="Interviews", parent="Stages")

    stages = [
        stage("Take-home assignment", "Some companies send a project."),
        stage("Phone screen", "A call with an engineer."),
        stage("Onsite", "Several rounds in one day."),
    ]
    asked = "Should I expect take-home projects, and do I bring a laptop to the onsite?"
    assert siblings_not_asked(asked, stages) == {1}


def test_words_of_the_parent_heading_or_the_title_name_no_sibling():
    def stage(heading: str, opening: str) -> Section:
        parent = "Find out the interview format"
        return sibling(heading, opening, source="guide.md", title="Interview guide", parent=parent)

    stages = [
        stage("3. Take-home assignment", "Some companies send a project."),
        stage("4. Phone screen interviews", "A call with an engineer."),
        stage("5. Onsite", "Use your own laptop at smaller companies."),
    ]
    # "interview" is every stage's; only "laptop" names one, by its opening.
    asked = "Which interview format lets me use my own laptop?"
    assert siblings_not_asked(asked, stages) == set()  # no heading named: all stay
    assert siblings_not_asked("What happens in an onsite interview?", stages) == {0, 1}


def test_a_heading_of_role_words_is_named_as_written_alone():
    asked = "What's the difference between a software engineer and a senior software engineer?"
    assert siblings_not_asked(asked, SECTIONS) == {0, 3, 4}
    # As the end of "senior software engineer" it names only Senior.
    assert siblings_not_asked("What does a senior software engineer do?", SECTIONS) == {0, 1, 3, 4}


def test_a_comparison_naming_one_sibling_compares_it_with_the_history():
    asked = "And how is that different from a senior engineer?"
    assert siblings_not_asked(asked, SECTIONS) == set()


def test_a_word_a_heading_only_starts_with_names_nothing():
    def prospect(heading: str, opening: str) -> Section:
        parent = "Career prospects as a Software Engineer"
        return sibling(heading, opening, source="landscape.md", title="Landscape", parent=parent)

    prospects = [
        prospect("High demand", "Engineers are in demand."),
        prospect("Stable career", "A starting salary of more than USD 100,000."),
        prospect("Requires lifelong learning", "Technology moves fast."),
    ]
    assert siblings_not_asked("Is software engineering a high paying career?", prospects) == set()
    assert siblings_not_asked("Is demand for engineers still high?", prospects) == {1, 2}


def test_siblings_named_alike_both_stay_unless_one_heading_holds_the_other():
    def skill(heading: str) -> Section:
        return sibling(heading, source="growth.md", title="Career growth", parent="Getting better")

    skills = [skill("Learn people skills"), skill("Improve existing skills"), skill("Be proactive")]
    assert siblings_not_asked("What skills can I learn at work?", skills) == {2}


def test_a_follow_up_asking_the_same_of_another_sibling_passes_nothing_over():
    for asked in (
        "Is that also true for senior engineers?",
        "Is it the same for a senior engineer?",
        "And how is that different from a senior engineer?",
    ):
        assert siblings_not_asked(asked, SECTIONS) == set(), asked
    # Senior's two passages are one section, not two named.
    twice = [*SECTIONS, SECTIONS[2]._replace(opening="Leads complex projects.")]
    assert siblings_not_asked("How is that different from a senior engineer?", twice) == set()


def test_a_role_heading_after_any_other_word_is_not_written_alone():
    # "lead" is no sibling's word, but it makes another role: the mid level is not named.
    assert siblings_not_asked("What does a lead software engineer do?", SECTIONS) == set()
    assert siblings_not_asked("Software   engineer or junior: which one am I?", SECTIONS) == {
        2,
        3,
        4,
    }
