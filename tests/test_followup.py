"""Follow-up questions: reading the history, and reading a follow-up with its previous turn."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from assistant.answer.chain import Assistant
from assistant.answer.conversation import user_turns, with_context
from assistant.answer.followup import without_told_terms
from assistant.answer.pointers import (
    looks_like_followup,
    names_no_subject,
    own_pointers,
    points_back,
    points_back_strongly,
    sets_scene,
)
from assistant.search import PassageRetriever, Retrieved, terms
from tests.conftest import needs_shared

NEGOTIATE = "How should I negotiate my salary offer?"
STANDALONE = (
    "What are the most important skills for an AI engineer working in industry research labs today?"
)


# --- user_turns -----------------------------------------------------------------------------


def test_user_turns_from_strings() -> None:
    assert user_turns(["first", "second"]) == ["first", "second"]


def test_user_turns_from_role_dicts_ignores_assistant_turns() -> None:
    history = [
        {"role": "user", "content": "How do I negotiate?"},
        {"role": "assistant", "content": "Ask for time [1]."},
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "And equity?"},
    ]
    assert user_turns(history) == ["How do I negotiate?", "And equity?"]


def test_user_turns_from_langchain_messages() -> None:
    history = [
        SystemMessage("You are helpful."),
        HumanMessage("How do I negotiate?"),
        AIMessage("Ask for time [1]."),
        HumanMessage("And equity?"),
    ]
    assert user_turns(history) == ["How do I negotiate?", "And equity?"]


def test_user_turns_mixed_and_blank_turns_skipped() -> None:
    history = [
        "plain",
        {"role": "user", "content": "dict"},
        HumanMessage("message"),
        AIMessage("reply"),
        "   ",
        {"role": "user", "content": ""},
        {"role": "user", "content": None},
    ]
    assert user_turns(history) == ["plain", "dict", "message"]


def test_user_turns_of_empty_history() -> None:
    assert user_turns([]) == []


# --- looks_like_followup --------------------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "What if they say the number is final?",
        "And equity?",
        "Why?",
        "What about equity?",
        "How about remote roles?",
        "But is it worth it?",
        "Should they counter again, or accept the offer as it stands right now?",
    ],
)
def test_looks_like_followup(question: str) -> None:
    assert looks_like_followup(question)


@pytest.mark.parametrize(
    ("question", "subjectless"),
    [
        ("Is there some kind of checklist I could go through?", True),
        ("Are there any specific tools or templates you would recommend using here?", True),
        ("Is there a checklist for choosing between two companies?", False),
        ("Are there any good books on salary negotiation that you could recommend to me?", False),
    ],
)
def test_a_question_that_names_no_subject_is_a_followup(question: str, subjectless: bool) -> None:
    """Longer than a short follow-up, with no pointer, but a checklist of what? Read
    alone it retrieved the essays' checklist for launching a project."""
    assert names_no_subject(question) is subjectless
    assert looks_like_followup(question) is subjectless


def test_a_question_with_no_word_read_names_a_subject_we_cannot_see() -> None:
    assert not names_no_subject("有什么建议吗？")


@pytest.mark.parametrize(
    "question",
    [
        STANDALONE,
        "How should I structure a portfolio of machine learning projects to stand out when "
        "applying for research engineer roles?",
    ],
)
def test_long_self_contained_question_is_not_a_followup(question: str) -> None:
    assert not looks_like_followup(question)


# --- with_context ---------------------------------------------------------------------------


def test_followup_is_read_with_the_previous_user_turn() -> None:
    question = "What if they say the number is final?"
    assert with_context(question, [NEGOTIATE]) == f"{question} {NEGOTIATE}"


def test_only_the_latest_user_turn_is_used() -> None:
    history = [
        "Tell me about burnout recovery",
        {"role": "user", "content": NEGOTIATE},
        {"role": "assistant", "content": "Portfolio projects and burnout recovery matter."},
    ]
    assert with_context("And equity?", history) == f"And equity? {NEGOTIATE}"


PAID = "How can I get paid for working on open source?"


def test_a_chain_of_follow_ups_brings_the_turn_it_started_from() -> None:
    """The previous turn leans back too ("What if…"): it holds no topic of its own, so
    the turn it pointed at comes along; the chain stops at a turn that is a question of
    its own, even one saying "it"."""
    company = "What if my company doesn't even use the project I work on?"
    boss = "And if my boss still isn't into it?"
    assert with_context(boss, [PAID, company]) == f"{boss} {company} {PAID}"
    history = ["What's a good site to practice LeetCode?", PAID, company]
    assert with_context(boss, history) == f"{boss} {company} {PAID}"
    rude = "Is it rude to ask about work-life balance at the end of an interview?"
    assert with_context("What if they get annoyed?", [PAID, rude]) == (
        f"What if they get annoyed? {rude}"
    )
    # A short turn with any pointer hands the topic on; a question of its own does not.
    assert with_context("And in Europe?", [NEGOTIATE, "Is that normal?"]) == (
        f"And in Europe? Is that normal? {NEGOTIATE}"
    )
    phd = "Is it worth doing a PhD?"
    assert with_context("What about a master's?", [NEGOTIATE, phd]) == (
        f"What about a master's? {phd}"
    )
    # Up to TOPIC_TURNS turns before the previous one: the topic of four is still there,
    # of five the oldest is out of reach.
    chain = [NEGOTIATE, "And equity?", "What about the bonus?", "And the start date?"]
    assert with_context("What if they say no?", chain) == "What if they say no? " + " ".join(
        reversed(chain)
    )
    leaning = ["And equity?", "What about the bonus?", "And the start date?", "And the title?"]
    assert with_context("What if they say no?", [PAID, *leaning]) == (
        "What if they say no? " + " ".join(reversed(leaning))
    )


def test_context_reads_langchain_messages_and_skips_assistant_turns() -> None:
    history = [HumanMessage(NEGOTIATE), AIMessage("Because portfolio burnout.")]
    assert with_context("Why?", history) == f"Why? {NEGOTIATE}"


def test_without_user_turns_the_question_is_unchanged() -> None:
    assert with_context("Why?", []) == "Why?"
    assert with_context("Why?", [{"role": "assistant", "content": "Because."}]) == "Why?"


@pytest.mark.parametrize(
    ("question", "back"),
    [
        ("Any downsides to it?", True),
        ("What about equity?", True),
        ("Which one of those is Node.js?", True),
        ("How do I negotiate my salary?", False),
        ("Do I need a PhD to work in AI research?", False),
        # A strong pointer without a pronoun still points back.
        ("Do I have to keep studying new things forever though?", True),
        ("Is the latter taxed differently?", True),
        # "one" as a pronoun points back; as a number before its noun it does not.
        ("ok so what do i actually write when i close one?", True),
        ("Is there a cheaper one?", True),
        ("I have one offer in hand and I'm still interviewing elsewhere.", False),
        ("One company has free lunch and great health insurance.", False),
        ("How do I write one quickly?", True),  # an adverb after it: still a pronoun
        ("Can I negotiate one later?", True),
        ("Is the Google one better?", True),
        # "there" as a place said before points back; "Are there…", "there is…" do not.
        ("Is it nice to work there?", True),
        ("Are there sites where an AI grades my system design answers?", False),
        ("There is no budget for a raise. What now?", False),
        ("Is there anything else I should know?", True),  # "else": more of what was said
        ("What else can I ask for?", True),
        # "they", "them", "those", "these" after a plural noun of the question's own stand
        # for it; "those" before a noun stands for that noun, named before or not.
        ("Recruiters keep calling me at work. How do I get them to stop?", False),
        ("My startup grants options and my other offer grants RSUs. Are those taxed alike?", False),
        ("What happens to them if I quit?", True),  # "happens": a verb, no noun
        ("What kinds of questions should I ask on those calls?", True),
        ("I have referrals at two companies. Should I mention those referrals?", False),
        ("Are those worth it?", True),
    ],
)
def test_points_back(question: str, back: bool) -> None:
    assert points_back(question) is back


# --- points_back_strongly and topic switches --------------------------------------------


@pytest.mark.parametrize(
    ("question", "strong"),
    [
        ("What about equity?", True),
        ("And if they refuse?", True),
        ("Does writing blog posts actually help with that?", True),
        ("If I go the company route, does that mean no more papers?", True),
        ("Which one of those is Node.js?", True),
        ("Is it rude to ask about work-life balance at the end of an interview?", False),
        ("I only have one offer. Can I still negotiate?", False),
        ("Is the company that pays more always the better choice?", False),
        ("Which companies that work on AI safety hire new grads?", False),
        ("A startup offers me a 'Principal Engineer' title. Is that worth much?", False),
        ("Does it change if I'm going for an internship rather than a full-time job?", True),
        ("Is that different at a startup?", True),
        ("Do I have to keep studying new things forever though?", True),
        ("Does it matter whether I actually use a company's product?", False),
        ("Though I like my team, should I leave for more money?", False),
        ("Which one is better at an early startup?", True),
        ("Is the latter taxed differently?", True),
        ("Which one of the big tech companies pays new grads the most?", False),
        ("Which one should I learn first, Python or Java?", False),
        ("Should I list the former employer on my resume?", False),
        ("Is it different to negotiate by email than by phone?", False),
        ("Does it apply to contract roles?", True),
        ("Is the latter better for my career?", True),
        ("I got offers from a startup and from Google; which one should I take?", False),
        ("Between a startup and big tech, which one is better for a new grad?", False),
        ("What should I say in the first one-on-one with my manager?", False),
        ("How do I explain the former company on my resume?", False),
        # "One" ending a clause stands for a thing named before, unless the question
        # names its own options ("…or pick one?") or means nobody ("no one").
        ("ok so what do i actually write when i close one?", True),
        ("Do I need one?", True),
        ("Should I try to learn every subfield or pick one?", False),
        ("Does no one read the docs?", False),
        ("How do I write one quickly?", False),  # weakly: "one" before more words
        ("How do I write a good one?", True),  # "a good" is the one's own
        # A noun the question names may be what its "one" stands for.
        ("Should I quit my job before I find a new one?", False),
        ("How do I write a resume when I've never had one?", False),
        ("Do I need a cover letter if the company doesn't ask for one?", False),
        ("I got an offer from Google. Is it a good one?", False),
        ("What should I ask in my first one on one?", False),
        ("How do I prepare for a one-on-one?", False),
        ("Tips for a good one-on-one?", False),
        ("Okay, and for interns?", True),
        ("Got it. What about interns?", True),
        ("Sure, and for interns?", True),
        ("Makes sense. And for interns?", True),
        ("Thanks — and for interns?", True),
        ("Right and wrong ways to ask for a raise?", False),
        ("Great and affordable bootcamps for data science?", False),
        ("Alright then, how do I prepare for a system design interview?", False),
        ("Cool, but how do I get a referral at Google?", False),
        ("Thanks so much! How do I write a cover letter?", False),
        ("Right now I'm a student. How do I get an internship?", False),
        ("Okay, what is a vesting cliff?", False),
        ("Great resources for learning system design?", False),
        ("Contributors open issues that they never follow up on. Can I close those?", False),
        # The subject of the pointer's own clause is not what it stands for.
        ("Do startups usually give them to new grads?", True),
        ("Do companies pay for those, or do candidates?", True),
        ("How many years do engineers usually spend at each of them?", True),
        ("Do engineering managers recommend those too?", True),
        ("Do startups and big companies give them to interns?", True),
        ("How do I tell my team when they ask why I'm leaving?", True),  # no noun before
        ("Do recruiters read cover letters, or do they skip them?", False),
        ("Do maintainers prefer small pull requests for those fixes?", True),
    ],
)
def test_points_back_strongly(question: str, strong: bool) -> None:
    """ "it" and "one" are as often no pointer at all; "those" and "does that mean" are."""
    assert points_back_strongly(question) is strong


@pytest.mark.parametrize(
    ("question", "own"),
    [
        # A scene set first: the pointers after it point inside the question.
        (
            "The recruiter keeps asking what I earn at my current job. Should I just tell them?",
            "The recruiter keeps asking what I earn at my current job.",
        ),
        (
            "People keep opening pull requests for features I don't want. How do I turn them down?",
            "People keep opening pull requests for features I don't want.",
        ),
        # No scene of its own, or a first sentence that itself points back: all of it.
        ("Thanks. What if they refuse?", "Thanks. What if they refuse?"),
        (
            "And those companies pay more. Should I ask them?",
            "And those companies pay more. Should I ask them?",
        ),
        ("What if they say the number is final?", "What if they say the number is final?"),
        # An acknowledgement sets no scene; "What about…" and "those" point back anyway.
        (
            "Okay, I understand the salary part now. What about equity in those offers?",
            "Okay, I understand the salary part now. What about equity in those offers?",
        ),
        (
            "My offer has a signing bonus and stock. What about those stock grants?",
            "My offer has a signing bonus and stock. What about those stock grants?",
        ),
        # "Right now…" and "So…" are no acknowledgement, and "So" no pointer back.
        (
            "Right now I earn 80k at a bank. Should I tell them?",
            "Right now I earn 80k at a bank.",
        ),
        (
            "The recruiter keeps asking what I earn. So should I just tell them?",
            "The recruiter keeps asking what I earn.",
        ),
        # "those" in a later sentence points inside where the question named what it means.
        (
            "Both offers include stock options and a bonus. Are those negotiable?",
            "Both offers include stock options and a bonus.",
        ),
        (
            "I have two offers on the table. Are those negotiable?",
            "I have two offers on the table.",
        ),
        (
            "I have an offer on the table. Are those perks negotiable?",
            "I have an offer on the table. Are those perks negotiable?",
        ),
    ],
)
def test_a_question_that_sets_its_own_scene_points_inside_itself(question: str, own: str) -> None:
    assert own_pointers(question) == own


@pytest.fixture
def bot(handbook_settings, embeddings) -> Assistant:
    """The assistant over the seed essay and five handbook essays (one index per run)."""
    return Assistant(
        handbook_settings, embeddings, PassageRetriever.from_settings(handbook_settings, embeddings)
    )


def retrievals(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every query the retriever is asked from now on, in order."""
    queries: list[str] = []
    real_retrieve = PassageRetriever.retrieve

    def counted(self, query, k=None, mode=None, asks=None):  # type: ignore[no-untyped-def]
        queries.append(query)
        return real_retrieve(self, query, k, mode, asks=asks)

    monkeypatch.setattr(PassageRetriever, "retrieve", counted)
    return queries


@needs_shared
def test_a_new_topic_after_another_is_read_alone_and_a_follow_up_is_not(
    bot: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "Is it rude to…" after a question on AI careers points back by its "it" only; the
    essays answer it on its own, from other essays: it is a new question. "What if they
    say the number is final?" is still read with the negotiation question before it."""
    switch = "Is it rude to ask about work-life balance at the end of an interview?"
    before = "What makes an AI practitioner valuable?"
    assert bot.standalone_queries(switch, [before]) == (switch,)
    # "them" is the recruiter of its own first sentence, not anything asked before.
    scene = "The recruiter keeps asking what I earn at my current job. Should I just tell them?"
    assert bot.standalone_queries(scene, [before]) == (scene,)
    queries = retrievals(monkeypatch)
    answer = bot.ask(switch, [before])
    # Read alone, the question is retrieved once (deciding so), and the previous turn
    # once (whether it is on the same topic); the answer reuses the first.
    assert sorted(queries) == sorted([switch, before])
    assert not answer.refused
    assert "final-questions.md" in {c.source.rsplit("/", 1)[-1] for c in answer.citations}
    follow = "What if they say the number is final?"
    assert bot.standalone_queries(follow, [NEGOTIATE]) == (
        f"{follow} {NEGOTIATE}",
        f"{NEGOTIATE} {follow}",  # as it was said: fused with the first
    )
    queries.clear()
    answer = bot.ask(follow, [NEGOTIATE])
    # Read with the previous turn, and as the conversation said it: the answer is drafted
    # from the two queries' passages, fused.
    assert queries[-2:] == [f"{follow} {NEGOTIATE}", f"{NEGOTIATE} {follow}"]
    assert queries.count(follow) == 1
    assert (answer.query, answer.variants) == (f"{follow} {NEGOTIATE}", (f"{NEGOTIATE} {follow}",))
    # Every passage cited is one of the fused passages the answer was drafted from.
    fused = bot.outlined(follow, bot.retriever.retrieve_all((answer.query, *answer.variants)))
    assert answer.citations
    assert {c.chunk_id for c in answer.citations} <= {h.chunk.id for h in fused.hits}
    assert answer.timings["retrieve_ms"] > 0


@needs_shared
def test_a_follow_up_brings_what_the_last_answer_did_not_say(bot: Assistant) -> None:
    """ "And what about a senior engineer?" after "What's expected of a junior software
    engineer?" drew on the same passages and gave most of that answer again; told what
    was said, the assistant answers with what it had not said."""
    from assistant.evaluation.evaluate import repeated_share

    first, follow = (
        "What's expected of a junior software engineer?",
        "And what about a senior engineer?",
    )
    said = bot.ask(first).text
    plain = bot.ask(follow, [first])
    told = bot.ask(follow, [first, {"role": "assistant", "content": said}])
    assert not told.refused and told.citations
    assert repeated_share(plain, said) > 0.5
    assert repeated_share(told, said) < repeated_share(plain, said) / 2


def test_the_topic_is_the_latest_turn_the_essays_cover() -> None:
    """A short follow-up in between ("Is that normal?") is weak evidence alone: it hands
    the topic on to the turn before it, instead of making the next question a new topic.
    A conversation of turns the essays don't cover lends none. (Stand-in retriever:
    which essay each turn matches and how well is all this logic reads.)"""
    from assistant.answer.followup import Reading, same_topic
    from assistant.config import Settings
    from assistant.domain import Chunk, SearchHit
    from assistant.search import Retrieved

    def found(source: str, cosine: float) -> Retrieved:
        chunk = Chunk(source, source, "T", (), "text", 0, 4, 0)
        return Retrieved("q", [SearchHit(chunk, cosine)], cosine, unit_best=cosine)

    question = "What do I say first?"
    turns = {
        question: found("negotiation.md", 0.5),
        "How should I negotiate my offer?": found("negotiation.md", 0.6),
        "Is that normal?": found("resume.md", 0.2),
        "How do I get a US work visa?": found("resume.md", 0.2),
    }

    class Stand:
        def retrieve(self, query: str, k: int, asks: str | None = None) -> Retrieved:
            return turns[query]

    def reading(turns: list[str]) -> Reading:
        stand: Any = Stand()
        return Reading(stand, Settings(), question, turns, 5)

    assert same_topic(reading(["How should I negotiate my offer?", "Is that normal?"]))
    assert not same_topic(reading(["How do I get a US work visa?", "Is that normal?"]))


def test_a_question_that_points_back_and_alone_would_be_refused_leans_on_the_history() -> None:
    """ "What should go in it besides install steps?" after a question on READMEs: its
    "it" is a weak pointer, its own best passages are on other essays than the README
    turn's, and alone it is refused for two words the essays never use ("besides",
    "install"). Read with the turn it points at, it is answered. Without those words the
    same reading stands alone, as before. (Stand-in retriever.)"""
    from assistant.answer.followup import Reading, leans_on_history
    from assistant.config import Settings
    from assistant.domain import Chunk, SearchHit
    from assistant.search import Retrieved

    def found(source: str, cosine: float, unknown: tuple[str, ...] = ()) -> Retrieved:
        chunk = Chunk(source, source, "T", (), "text", 0, 4, 0)
        return Retrieved("q", [SearchHit(chunk, cosine)], cosine, unknown, unit_best=cosine)

    question, readme = "What should go in it besides install steps?", "How do I write a README?"
    matches = {
        question: found("interviews.md", 0.32, ("besid", "instal")),
        readme: found("a.md", 0.6),
    }

    class Stand:
        def retrieve(self, query: str, k: int, asks: str | None = None) -> Retrieved:
            return matches[query]

    def leans() -> bool:
        stand: Any = Stand()
        return leans_on_history(
            Reading(stand, Settings(), question, [readme], 5), off_topic_below=0.18
        )

    assert leans()
    matches[question] = found("interviews.md", 0.32)  # answered alone: its own question
    assert not leans()


def test_a_question_naming_no_subject_or_pointing_by_one_leans_on_the_history() -> None:
    """ "Is there some kind of checklist I could go through?" after a question on
    engineering culture: alone it matched the essays' launch checklist (another essay
    than the culture turn's) well enough to stand alone, and was answered with it. "ok
    so what do i actually write when i close one?" after a question on unwanted pull
    requests matched cover letters alone. (Stand-in retriever.)"""
    from assistant.answer.followup import Reading, leans_on_history
    from assistant.config import Settings
    from assistant.domain import Chunk, SearchHit
    from assistant.search import Retrieved

    def found(source: str, cosine: float) -> Retrieved:
        chunk = Chunk(source, source, "T", (), "text", 0, 4, 0)
        return Retrieved("q", [SearchHit(chunk, cosine)], cosine, unit_best=cosine)

    culture, prs = "How can I tell a company's engineering culture?", "How do I handle PRs?"
    matches = {
        culture: found("choosing-between-companies.md", 0.6),
        prs: found("best-practices.md", 0.6),
        "Is there some kind of checklist I could go through?": found("launch.md", 0.46),
        "Is there a checklist for launching a project?": found("launch.md", 0.46),
        "ok so what do i actually write when i close one?": found("resume.md", 0.46),
        "ok so what do i actually write in a cover letter?": found("resume.md", 0.46),
    }

    class Stand:
        def retrieve(self, query: str, k: int, asks: str | None = None) -> Retrieved:
            return matches[query]

    def leans(question: str, before: str) -> bool:
        stand: Any = Stand()
        reading = Reading(stand, Settings(), question, [before], 5)
        return leans_on_history(reading, off_topic_below=0.18)

    assert leans("Is there some kind of checklist I could go through?", culture)
    assert not leans("Is there a checklist for launching a project?", culture)
    assert leans("ok so what do i actually write when i close one?", prs)
    assert not leans("ok so what do i actually write in a cover letter?", prs)


def test_a_turn_naming_no_subject_hands_the_topic_on() -> None:
    """ "Any tips?" took its topic from the turns before it; a question after it did not,
    and was read with "Any tips?" alone."""
    turns = ["How do I negotiate my salary?", "What about equity?", "Any tips?"]
    query = with_context("Is there some kind of checklist I could go through?", turns)
    assert query.endswith("Any tips? What about equity? How do I negotiate my salary?")


def test_a_question_naming_no_subject_after_an_uncovered_topic_is_uncovered() -> None:
    """ "Is there some kind of checklist of things I should bring up?" after a question
    no essay covers took its words from that question and was answered with tips for
    cover letters. A question of its own, or after a covered topic, is not affected.
    (Stand-in retriever.)"""
    from assistant.answer.followup import Reading, borrows_an_uncovered_topic
    from assistant.config import Settings
    from assistant.domain import Chunk, SearchHit
    from assistant.search import Retrieved

    def found(cosine: float) -> Retrieved:
        chunk = Chunk("a.md", "a.md", "T", (), "text", 0, 4, 0)
        return Retrieved("q", [SearchHit(chunk, cosine)], cosine, unit_best=cosine)

    visa, offer = "How do I get a US work visa?", "How do I negotiate my offer?"
    told = "I have three weeks before my Google phone screen."
    matches = {visa: found(0.1), offer: found(0.6), told: found(0.1), f"{told} {offer}": found(0.5)}

    class Stand:
        def retrieve(self, query: str, k: int, asks: str | None = None) -> Retrieved:
            return matches[query]

    def uncovered(question: str, *before: str) -> bool:
        stand: Any = Stand()
        return borrows_an_uncovered_topic(Reading(stand, Settings(), question, before, 5))

    assert uncovered("Is there some kind of checklist of things I should bring up?", visa)
    assert not uncovered("Is there some kind of checklist of things I should bring up?", offer)
    assert not uncovered("Is there a checklist for the interview itself?", visa)
    # The topic two turns back, before a told situation the essays barely match alone.
    assert not uncovered("Anything else I should prepare?", offer, told)
    assert uncovered("Anything else I should prepare?", told)


def test_a_question_naming_no_subject_after_an_uncovered_topic_is_refused(
    bot: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The chain refuses what :func:`borrows_an_uncovered_topic` finds, as weak evidence."""
    from assistant.answer import question_reading

    monkeypatch.setattr(question_reading, "borrows_an_uncovered_topic", lambda reading: True)
    answer = bot.ask("Any tips?", ["How do I negotiate my offer?"])
    assert answer.refused and answer.reason == "weak-evidence", answer.text
    monkeypatch.setattr(question_reading, "borrows_an_uncovered_topic", lambda reading: False)
    assert not bot.ask("Any tips?", ["How do I negotiate my offer?"]).refused


@needs_shared
def test_a_follow_up_the_essays_barely_match_with_its_previous_turn_reads_the_earlier_ones(
    bot: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The middle turn ("Is it rude to ask for more?") holds the topic only with the turn
    before it, and does not lean back by its words (its "it" is a dummy, and it is no short
    turn): read with it alone, "ok so what do i say first then?" was refused. The essays
    match it read with the turn before as well, so it is answered on negotiating."""
    history = [NEGOTIATE, "Is it rude to ask for more?"]
    question = "ok so what do i say first then?"
    queries = retrievals(monkeypatch)
    answer = bot.ask(question, history)
    assert not answer.refused, answer.reason
    assert answer.query == f"{question} {history[1]} {NEGOTIATE}"
    assert answer.citations and "negotiat" in answer.text.lower()
    # Deciding and widening both ask about the previous turn: it is retrieved once.
    assert history[1] in queries and len(queries) == len(set(queries)), queries


def test_widening_reads_earlier_turns_only_when_they_match() -> None:
    """Stand-in retriever (how well each query matches is all this logic reads): a query
    the essays match is kept; one they barely match is widened to every earlier turn in
    reach when the previous turn alone and the widened query match, and kept otherwise."""
    from assistant.answer.followup import Reading, widened
    from assistant.config import Settings
    from assistant.domain import Chunk, SearchHit
    from assistant.search import Retrieved

    def found(cosine: float) -> Retrieved:
        chunk = Chunk("a.md", "a.md", "T", (), "text", 0, 4, 0)
        return Retrieved("q", [SearchHit(chunk, cosine)], cosine, unit_best=cosine)

    history = ["How should I negotiate my offer?", "Do I do it by email?"]
    question = "What do I say first then?"
    narrow = f"{question} Do I do it by email?"
    wide = f"{question} Do I do it by email? How should I negotiate my offer?"
    matches = {narrow: found(0.2), wide: found(0.6), history[1]: found(0.6)}

    class Stand:
        def retrieve(self, query: str, k: int, asks: str | None = None) -> Retrieved:
            return matches[query]

    def reading() -> Reading:
        stand: Any = Stand()
        return Reading(stand, Settings(), question, history, 5)

    weak, strong = (narrow, matches[narrow]), (narrow, found(0.6))
    assert widened(reading(), strong) == strong
    assert widened(reading(), weak) == (wide, matches[wide])
    matches[history[1]] = found(0.2)  # a turn the essays don't cover: its follow-up stays
    assert widened(reading(), weak) == weak
    matches[history[1]], matches[wide] = found(0.6), found(0.2)
    assert widened(reading(), weak) == weak


@needs_shared
def test_a_follow_up_to_a_turn_the_essays_do_not_cover_stays_refused(bot: Assistant) -> None:
    """Widening reads earlier turns only past a turn the essays cover: after "How do I get
    a US work visa?", "And what if they refuse?" is not answered from the negotiation
    question before it."""
    visa = "How do I get a US work visa?"
    assert bot.ask(visa).refused
    answer = bot.ask("And what if they refuse?", [NEGOTIATE, visa])
    assert answer.refused, answer.text
    assert NEGOTIATE not in answer.query


# --- a turn that tells the situation ------------------------------------------------------


@pytest.mark.parametrize(
    ("said", "scene"),
    [
        ("I found a bug in a library I use and I think I can fix it.", True),
        ("I think a grant makes the most sense for us.", True),
        ("Money's tight, so I'm leaning toward the free site", True),
        ("Ok. My manager wants me to start working toward staff.", True),
        ("How should I negotiate my first offer?", False),
        ("how do i negotiate my first offer", False),  # a question without its mark
        ("tips for writing my first pull request", False),
        ("Explain how vesting works at a startup", False),
        ("Thanks, that makes a lot of sense for our team.", False),
        ("Got it, makes sense.", False),
        ("I work at a bank.", False),  # five words: too few to set a scene
        ("That helps a lot, thanks for the answer.", False),  # points at the last answer
        ("Great answer, this is exactly what I needed.", False),
        ("No, I meant the equity part of the offer.", False),
        ("I need help with my resume for a FAANG job", False),  # a request without "?"
        ("I'd like some tips for my first pull request", False),
        ("Wie verhandle ich mein Gehalt am besten？", False),  # a full-width mark
        ("Can't decide between two offers from big companies", True),
    ],
)
def test_a_turn_that_tells_sets_the_scene(said: str, scene: bool) -> None:
    assert sets_scene(said) is scene


def test_a_chain_of_follow_ups_stops_at_a_told_turn() -> None:
    """A told turn may open a subject of its own ("How do I prepare for behavioral
    interviews?", then "I maintain a popular open source project…"): the question is read
    with it, not with the question before it."""
    history = [
        "How do I prepare for behavioral interviews?",
        "I maintain a popular open source project in my spare time.",
    ]
    question = "How do I find more contributors?"
    assert with_context(question, history) == f"{question} {history[1]}"


def test_words_only_a_told_situation_brought_are_not_unknown_terms() -> None:
    """The user's own particulars ("survey data") are not what the question hinges on;
    the question's own unknown words, and those of a turn that asked, still count."""
    survey, visa, spammy = terms("survey")[0], terms("visa")[0], terms("spammy")[0]
    found = Retrieved("q", [], 0.4, unknown_terms=(spammy, survey, visa))
    told = ["How do I get a US work visa?", "I built a library for cleaning survey data."]
    question = "Where can I share it without being spammy?"
    assert without_told_terms(found, question, told).unknown_terms == (spammy, visa)
    # Asked about by the question itself, the word counts again.
    assert without_told_terms(found, "Is survey data hard to share?", told) == found
    assert without_told_terms(found, "Anything else?", told[:1]) == found
    # Told, but asked about before too: "visa" counts.
    asked = ["How do I get a US work visa?", "I need a visa to work in the US next year."]
    assert without_told_terms(found, "What documents will I need?", asked) == found


@needs_shared
def test_a_question_after_a_told_situation_is_read_with_it_when_that_matches_better(
    bot: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "Is there anything about money I should handle before I resign?" has no subject
    but the situation told just before it; "What questions should I ask the interviewer at
    the end of my onsite interview?" has its own, and is read alone after a situation that
    adds nothing to it."""
    quitting = (
        "I'm leaving the startup I've been at for four years, and I never exercised my options."
    )
    money = "Is there anything about money I should handle before I resign?"
    # Read with the situation for its own subject, not said as a follow-up: one reading.
    assert bot.standalone_queries(money, [quitting]) == (f"{money} {quitting}",)
    queries = retrievals(monkeypatch)
    answer = bot.ask(money, [quitting])
    # Deciding retrieved the question read with the situation: the answer reuses it, and
    # no query is retrieved twice.
    assert queries.count(f"{money} {quitting}") == 1, queries
    assert len(queries) == len(set(queries)), queries
    assert not answer.refused, answer.text
    cited = {c.source.rsplit("/", 1)[-1] for c in answer.citations}
    assert "understanding-compensation.md" in cited, cited
    ask = "What questions should I ask the interviewer at the end of my onsite interview?"
    assert bot.standalone_queries(ask, ["I'm a senior engineer at a bank in Frankfurt."]) == (ask,)


@needs_shared
def test_a_query_an_llm_rewrote_is_retrieved_anew(
    bot: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deciding retrieved the question read with its told situation; when an LLM rewrote
    the query, the answer stands on what the rewrite retrieves, not on that. (A stand-in
    for the LLM's rewrite: the chain's first two stages are what this checks.)"""
    quitting = (
        "I'm leaving the startup I've been at for four years, and I never exercised my options."
    )
    money = "Is there anything about money I should handle before I resign?"
    rewrite = "What should I do with unexercised stock options when I quit a startup?"

    class Rewriter:
        def condense(self, question: str, history: Any, config: Any = None) -> str:
            return rewrite

    monkeypatch.setattr(bot, "llm", lambda kind: Rewriter())
    state = bot._condense(bot._input(money, [quitting], "openai", None, streaming=False))
    assert state["told"] is not None and state["query"] == rewrite
    assert bot._retrieve(state)["retrieved"].query == rewrite


@needs_shared
def test_a_question_the_told_situation_does_not_make_covered_is_refused(bot: Assistant) -> None:
    """Read with a told situation, a question on something else may match the essays better
    than alone (the situation's words match them): "Who won the world cup in 2018?" after
    a turn on a job offer matches far worse than the turn alone, and is refused as
    off-topic."""
    offer = "I just got an offer from a big tech company and I'm negotiating my salary."
    cup = "Who won the world cup in 2018?"
    assert bot.standalone_queries(cup, [offer]) == (cup,)
    assert bot.ask(cup, [offer]).refused


def test_a_told_situation_is_read_with_the_question_only_when_both_match_better() -> None:
    """Stand-in retriever (how well each query matches is all this logic reads): read with
    the told turn, the question must match by ``SCENE_GAIN`` more than alone, and at most
    ``SCENE_DILUTION`` less than the told turn alone; only the last turn can be told. The
    told turn's words the essays never use are dropped only when they cover the turn."""
    from assistant.answer.followup import SCENE_DILUTION, SCENE_GAIN, Reading, told_situation
    from assistant.config import Settings
    from assistant.domain import Chunk, SearchHit

    def found(cosine: float, unknown: tuple[str, ...] = ()) -> Retrieved:
        chunk = Chunk("a.md", "a.md", "T", (), "text", 0, 4, 0)
        return Retrieved("q", [SearchHit(chunk, cosine)], cosine, unknown, unit_best=cosine)

    told, question = "I built a library for cleaning survey data.", "Where do I share it?"
    read = f"{question} {told}"
    survey = terms("survey")[0]
    matches: dict[str, Retrieved] = {}

    class Stand:
        def retrieve(self, query: str, k: int, asks: str | None = None) -> Retrieved:
            return matches[query]

    def situation(
        alone: float, together: float, situation: float, turns: tuple[str, ...] = (told,)
    ) -> Retrieved | None:
        matches[question] = found(alone)
        matches[read] = found(together, (survey,))
        matches[told] = found(situation)
        stand: Any = Stand()
        return told_situation(Reading(stand, Settings(), question, turns, 5))

    assert situation(0.40, 0.40 + SCENE_GAIN + 0.005, 0.50) is not None
    assert situation(0.40, 0.40 + SCENE_GAIN - 0.005, 0.50) is None
    assert situation(0.20, 0.50, 0.50 + SCENE_DILUTION + 0.005) is None
    # Covered, the situation's own word is dropped; not covered, it stays.
    kept = situation(0.40, 0.50, 0.50)
    assert kept is not None and kept.unknown_terms == ()
    kept = situation(0.20, 0.30, 0.25)
    assert kept is not None and kept.unknown_terms == (survey,)
    # A told turn before the last one is not the question's situation.
    assert situation(0.40, 0.50, 0.50, turns=(told, "Why?")) is None


def test_a_told_situation_makes_any_question_lean_on_it() -> None:
    """With a told situation (``scene``), a question with its own words and a good match
    alone, or one the essays barely match at all, is read with it; without, it is not."""
    from assistant.answer.followup import Reading, leans_on_history
    from assistant.config import Settings
    from assistant.domain import Chunk, SearchHit

    chunk = Chunk("a.md", "a.md", "T", (), "text", 0, 4, 0)
    told = ["I built a library for cleaning survey data."]
    long_question = "Which online communities should I post my new library in first?"
    for cosine in (0.6, 0.1):
        alone = Retrieved("q", [SearchHit(chunk, cosine)], cosine, unit_best=cosine)

        class Stand:
            # Asked for the question alone only: neither case needs the previous turn's topic.
            def retrieve(
                self, query: str, k: int, asks: str | None = None, alone: Retrieved = alone
            ) -> Retrieved:
                assert query == long_question, query
                return alone

        def leans(scene: bool) -> bool:
            stand: Any = Stand()
            reading = Reading(stand, Settings(), long_question, told, 5)
            return leans_on_history(reading, off_topic_below=0.18, scene=scene)

        assert leans(True)
        assert not leans(False)
