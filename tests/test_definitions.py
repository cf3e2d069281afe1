"""A question that asks what a term means is answered from the passage that defines the
term, and refused, naming it, when a word of it is one no essay uses or its words never
meet in one passage (#10: refuse what isn't covered, answer what is)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.answer import Assistant, question_reading
from assistant.answer.coverage import (
    JARGON_IN,
    defines,
    definition,
    is_jargon,
    names_a_kind,
    says_what,
    term_usage,
    term_verdict,
)
from assistant.answer.definitions import asked_term
from assistant.answer.followup import Reading
from assistant.answer.term_reading import writes_term
from assistant.config import Settings
from assistant.domain import Chunk, SearchHit
from assistant.ingest.pipeline import Ingester
from assistant.search import PassageRetriever, TermUsage
from assistant.search.lexical import LexicalIndex, same_word
from tests.conftest import SHARED_CORPORA


@pytest.mark.parametrize(
    ("question", "term"),
    [
        ("What's BATNA?", "BATNA"),
        ("batna meaning?", "batna"),
        ("whats pramp", "pramp"),
        ("What's a staff engineer exactly?", "staff engineer"),
        ("Can you explain what an elevator pitch is?", "elevator pitch"),
        ("What does BDFL stand for?", "BDFL"),
        ("what does WIP mean on a pull request", "WIP"),  # where it was met is no part
        ("What does dependabot do?", "dependabot"),
        ("What’s a “vesting cliff”?", "vesting cliff"),
        ("Ok so what's a vesting cliff?", "vesting cliff"),
        ("fiscal sponsor definition", "fiscal sponsor"),
        ("what is levels.fyi", "levels.fyi"),
        # Questions of their own, not a term's meaning.
        ("What is the best way to negotiate?", ""),
        ("What's the difference between RSUs and options?", ""),
        ("What are RSUs vs options", ""),
        ("What is it like to work at Google?", ""),
        ("What is Google like?", ""),
        ("What's Stripe's interview like?", ""),
        ("What is expected at L5?", ""),
        ("What's the capital of Australia?", ""),
        ("What is the meaning of life?", ""),
        ("What does that mean?", ""),
        ("What should I do?", ""),
        ("What do FAANG companies pay?", ""),  # "what do" asks a meaning only with "mean"
        ("What does Amazon look for?", ""),
        ("What does a recruiter do when they ghost you?", ""),
        ("What's a fair raise?", ""),  # what counts as good, not what a word means
        ("What is a reasonable counter offer?", ""),
        ("What is considered senior?", ""),
        ("What's BATNA? And how do I use it?", ""),  # more than one ask
        ("What is a PIP and how do I survive one?", ""),
        ("What is BATNA. Tell me more", ""),
        ("What are the chances?", ""),
        ("What are some red flags?", ""),
        ("What is equity worth?", ""),
        ("What is a sign-on bonus?", "sign-on bonus"),  # "on" inside a word is no "on"
        ("What's BDFL stand for?", "BDFL"),
        ("What's an RSU, actually?", "RSU"),  # a filler after a comma is no part
        ("What is vesting, exactly?", "vesting"),
        ("Hi, what is BATNA?", "BATNA"),  # nor is a greeting
        ("Hello! What's BATNA?", "BATNA"),
        ("hey there, whats pramp", "pramp"),
        ("Hi, how do I negotiate?", ""),
        ("What does a staff engineer actually do?", "staff engineer"),  # not "…actually"
        ("What does a tech lead really do?", "tech lead"),
        # One out of many, no term: their words never meet in a passage either.
        ("What are the main rules?", ""),
        ("What is the biggest mistake?", ""),
        ("What are the key skills?", ""),
        ("espp?", ""),  # a bare word is as often a follow-up ("equity?")
        # Markup is no term: nothing of it is echoed back in a refusal.
        ("What's [salary negotiation](https://phish.example/claim)?", ""),
        ("What does https://phish.example/offer mean?", ""),
        ("What is <img src=x onerror=alert(1)>?", ""),
    ],
)
def test_the_term_a_question_asks_about(question: str, term: str) -> None:
    assert asked_term(question) == term


def _chunk(text: str, cid: str = "a.md#0") -> Chunk:
    return Chunk(cid, "a.md", "Offers", (), text, 0, len(text), 0)


def _hit(text: str, cid: str = "a.md#0") -> SearchHit:
    return SearchHit(_chunk(text, cid), 0.3)


@pytest.mark.parametrize(
    ("text", "term", "defined"),
    [
        ("Have a strong BATNA (Best Alternative To a Negotiated Agreement).", "BATNA", True),
        ("A Restricted Stock Unit (RSU) is yours at once.", "RSU", True),
        ("Fixed at a strike price, which is the fair market value.", "strike price", True),
        ("BDFL: one person has the final say.", "BDFL", True),
        ("Restricted Stock Units (RSUs) vest.", "RSU", True),  # its plural
        ("Until the company goes public (IPO) or is acquired.", "IPOs", True),  # asked so
        ('Just open it as a "draft" or mark as a "WIP" (Work in Progress).', "WIP", True),
        ("Before jumping in blindly with suggestions, ask.", "Blind", False),  # a stem only
        ("Practice in Java, Python or C++.", "Java", False),  # named in passing
        ("L5 (Senior SWE) | $355,000 | $188,000", "L5", False),  # a table row
        ("Options are bought at a strike price.", "strike price", False),
    ],
)
def test_a_passage_defines_a_term_it_writes_as_it_says_what_it_is(
    text: str, term: str, defined: bool
) -> None:
    assert defines(term, _chunk(text)) is defined
    assert says_what(term, text) is defined


@pytest.mark.parametrize(
    ("text", "term", "plainly"),
    [
        ("Mark it as a work in progress (WIP).", "WIP", True),
        ('BDFL stands for "Benevolent Dictator for Life".', "BDFL", True),
        ("A vesting cliff means the minimum period before you vest.", "vesting cliff", True),
        ("BDFL: one person has the final say.", "BDFL", True),  # opening the line
        ("A fiscal sponsor is a nonprofit that takes donations for you.", "fiscal sponsor", True),
        # "X is…" inside a sentence says something of X, not what it is.
        ("Anticipating questions beyond the Big Three is challenging.", "Big Three", False),
        ("If a divider is required between information, use tabs.", "divider", False),
        ("Jotting down bullet points is better than nothing.", "bullet points", False),
        ("Remember, personal ecology is an ongoing practice.", "personal ecology", False),
    ],
)
def test_a_passage_no_retrieval_found_must_define_a_term_plainly(
    text: str, term: str, plainly: bool
) -> None:
    assert says_what(term, text, strict=True) is plainly


def test_a_generic_last_word_is_not_judged_unless_jargon_remains_unexplained() -> None:
    """ "STAR technique" is the essays' "STAR format", "cover letter template" their cover
    letters: whether a term's words meet in one passage is judged without a last word that
    only names a kind of thing. Not when what remains is jargon one passage alone uses,
    neither before such a word nor defining it: "greedy approach" is judged whole."""
    asked: list[list[str]] = []

    def usage_of(words: list[str]) -> TermUsage:
        asked.append(words)
        found = {
            "star": _usage({"star": 12}, 12, "Use the STAR format."),
            "greedy": _usage({"greedi": 1}, 1, "It's not you being greedy."),
            "new grad": _usage({"new": 61, "grad": 3}, 1, "A new grad role (NGR) is…"),
            "relocation": _usage({"reloc": 3}, 3, "Relocation bonus: helpful if…"),
            "code conduct": _usage({"code": 9, "conduct": 1}, 1, "A code of conduct is…"),
        }
        return found.get(" ".join(words), _usage({"x": 9}, 9))

    assert term_usage("STAR technique", usage_of) is not None and asked == [["star"]]
    assert term_usage("cover letter template", usage_of) and asked[-1] == ["cover", "letter"]
    term_usage("greedy approach", usage_of)
    assert asked[-2:] == [["greedy"], ["greedy", "approach"]]  # judged whole
    term_usage("new grad role", usage_of)
    assert asked[-1] == ["new", "grad"]  # a passage writes "new grad role"
    term_usage("relocation package", usage_of)
    assert asked[-1] == ["relocation"]  # three passages use it: enough to judge it alone
    term_usage("code of conduct policy", usage_of)
    assert asked[-1] == ["code", "conduct"]  # defined as the question writes it
    term_usage("technique", usage_of)
    assert asked[-1] == ["technique"]  # words as written: the index stems them
    assert term_usage("the", usage_of) is None


def test_a_passage_names_a_kind_of_what_a_term_writes_before_it() -> None:
    assert names_a_kind(["star"], "STAR", _chunk("Answer in the STAR format.", "a.md#0"))
    cover = _chunk("Cover letter templates help.", "a.md#0")
    assert names_a_kind(["cover", "letter"], "cover letter", cover)
    assert not names_a_kind(["greedy"], "greedy", _chunk("It's not you being greedy.", "a.md#0"))
    assert not names_a_kind(["star"], "STAR", _chunk("Be a star.", "a.md#0"))


def _usage(counts: dict[str, int], together: int, *texts: str) -> TermUsage:
    chunks = tuple(_chunk(t, f"b.md#{n}") for n, t in enumerate(texts))
    return TermUsage(counts, together, chunks)


def test_the_verdict_on_a_term() -> None:
    """A word no passage uses refuses, and so do words no one passage uses together
    ("liquidation preference"); otherwise the usual rules, or a definition, decide."""
    assert term_verdict(_usage({"409a": 0, "valuat": 1}, 0)) == "refuse"
    assert term_verdict(_usage({"liquid": 3, "prefer": 6}, 0)) == "refuse"
    assert term_verdict(_usage({"strike": 1, "price": 2}, 1)) == ""
    assert term_verdict(_usage({"staff": 8, "engin": 150}, 7)) == ""
    assert term_verdict(_usage({}, 0)) == ""  # no word to judge by ("C++")


def test_jargon_whose_words_stand_far_apart_is_refused() -> None:
    """Jargon ("rank" in four passages) is explained where its words stand near each
    other, not where one passage happens to use both far apart."""
    far = "What is your stack? " + "Ask about the team and the product. " * 5 + "Rankings."
    near = "Some firms have backloaded schemes (you vest less early)."
    ranking = replace(_usage({"stack": 15, "rank": 4}, 1, far), words=("stack", "ranking"))
    assert term_verdict(ranking) == "refuse"
    backloaded = replace(
        _usage({"backload": 1, "vest": 4}, 1, near), words=("backloaded", "vesting")
    )
    assert term_verdict(backloaded) == ""
    common = replace(_usage({"stack": 15, "rank": 40}, 1, far), words=("stack", "ranking"))
    assert term_verdict(common) == ""  # no jargon: the usual rules decide
    # A passage that defines the jargon word explains the term, however far the other.
    rsu = "A stock grant is a Restricted Stock Unit (RSU). " + "Many words here. " * 8 + "Grant."
    grant = replace(_usage({"rsu": 4, "grant": 30}, 1, rsu), words=("rsu", "grant"))
    assert term_verdict(grant) == ""


def test_the_definition_of_jargon_comes_from_the_best_passage_or_beyond_it() -> None:
    """The best passage, if it defines the term; past it only when nothing found answers
    otherwise ("What does WIP mean?"); and never for words many passages use."""
    defining = "Mark it as a work in progress (WIP)."
    wip = _usage({"wip": 2}, 2, "Ship early.", defining)
    best = [_hit("Have a strong BATNA (Best Alternative To a Negotiated Agreement).")]
    batna = _usage({"batna": 1}, 1, best[0].chunk.text)
    elsewhere = [_hit("Negotiate the offer.")]
    assert definition("BATNA", best, batna, beyond=False) == best[0].chunk
    assert definition("WIP", elsewhere, wip, beyond=False) is None
    found = definition("WIP", elsewhere, wip, beyond=True)
    assert found is not None and found.text == defining
    # Beyond the passages found, only a plain definition answers alone.
    loose = _usage({"big": 12, "three": 2}, 1, "Questions beyond the Big Three is challenging.")
    assert definition("Big Three", elsewhere, loose, beyond=True) is None
    staff = _usage({"staff": 8, "engin": 150}, 7, "A staff engineer is a leader.")
    assert definition("staff engineer", elsewhere, staff, beyond=True) is None  # no jargon
    assert definition("C++", elsewhere, _usage({}, 0), beyond=True) is None


def test_jargon_is_a_term_with_a_word_few_passages_use() -> None:
    assert is_jargon(_usage({"batna": 1}, 1))
    assert is_jargon(_usage({"vest": JARGON_IN, "cliff": JARGON_IN + 1}, 2))
    assert not is_jargon(_usage({"cliff": JARGON_IN + 1}, JARGON_IN + 1))
    assert not is_jargon(_usage({"life": 13, "mean": 31}, 4))


def test_the_lexical_index_knows_which_passages_use_words_together() -> None:
    index = LexicalIndex(
        ["a", "b", "c"],
        ["liquid compensation is cash", "we prefer email", "liquid assets, preferred stock"],
    )
    assert index.using_all(["liquid", "prefer"]) == ["c"]
    assert index.using_all(["liquid"]) == ["a", "c"]
    assert index.using_all(["liquid", "nowher"]) == []
    assert index.using_all([]) == []
    assert index.doc_freq("prefer") == 2 and index.doc_freq("nowher") == 0


def test_a_word_is_written_in_its_inflections_not_as_another_word_of_its_stem() -> None:
    """The stemmer joins "severance" and "several" ("sever"): that the essays write
    "several" says nothing of severance pay. "Hiring" is their "hire", and "negotiating"
    their "negotiators"."""
    index = LexicalIndex(["a", "b"], ["several offers", "we hire negotiators"])
    assert index.writes("offer") and index.writes("hiring") and index.writes("negotiating")
    assert not index.writes("severance") and not index.writes("nowhere")
    assert same_word("studies", "studying") and same_word("services", "service")
    assert same_word("scalable", "scalability") and same_word("efficient", "efficiency")
    assert same_word("guys", "guy") and same_word("happiness", "happy")
    assert not same_word("severance", "several")


@pytest.fixture(scope="module")
def bot(handbook_settings, embeddings) -> Assistant:
    retriever = PassageRetriever.from_settings(handbook_settings, embeddings)
    return Assistant(handbook_settings, embeddings, retriever)


@pytest.mark.parametrize(
    ("question", "says"),
    [
        # Two words match no passage well by their vector (weak evidence), but the best
        # passage found says what "BATNA" is.
        ("What's BATNA?", "Best Alternative To a Negotiated Agreement"),
        ("What are RSUs?", "Restricted Stock Unit (RSU)"),  # the plural of the acronym
        ("What does strike price mean?", "strike price"),  # "…, which is equal to…"
        ("Hi, what is BATNA?", "Best Alternative To a Negotiated Agreement"),
    ],
)
def test_a_term_the_best_passage_defines_is_answered(
    bot: Assistant, question: str, says: str
) -> None:
    answer = bot.ask(question)
    assert not answer.refused, answer.text
    assert says in answer.text and answer.citations


@pytest.mark.parametrize(
    "question",
    [
        "what is sponsorware",
        "What's a 409A valuation?",
        "what's a skip-level",
        # Each word in two passages here ("liquid compensation", "prefer"), never in one.
        "Can you explain liquidation preference?",
        # "Severance" shares its stem with "several" only ("sever"): no essay writes it.
        "What is a severance package?",
        # "Greedy" is jargon here (one passage: "It's not you being greedy"), and the
        # words never meet: "approach" is no kind of thing the essays name "greedy".
        "What is a greedy approach?",
    ],
)
def test_a_term_no_essay_uses_is_refused_naming_it(bot: Assistant, question: str) -> None:
    answer = bot.ask(question)
    assert answer.refused and answer.reason == "unexplained-term", answer.text
    assert f"No essay explains “{asked_term(question)}”" in answer.text
    assert not answer.citations


@pytest.mark.parametrize(
    "question",
    [
        # No passage here uses "tactic": judged by "negotiation", left to the usual rules.
        "What is a negotiation tactic?",
        # "Relocation bonus" in three passages, never with "package": judged by
        # "relocation" (a first version judged the whole term, and refused it).
        "What is a relocation package?",
        # A passage defines RSUs, though never near "grant".
        "What are RSU grants?",
    ],
)
def test_a_term_the_essays_explain_in_other_words_is_not_refused_for_it(
    bot: Assistant, question: str
) -> None:
    answer = bot.ask(question)
    assert not answer.refused and answer.citations, answer.text


def test_the_defining_passage_leads_the_passages_as_many_as_before(bot: Assistant) -> None:
    from assistant.search import Retrieved

    hits = [_hit(f"Passage {n}.", f"a.md#{n}") for n in range(3)]
    found = Retrieved("q", hits, 0.3)
    defining = _chunk("Work in progress (WIP).", "b.md#0")
    first, second, third = (h.chunk for h in hits)
    led = bot.retriever.led_by(found, defining, "WIP")
    assert [h.chunk for h in led.hits] == [defining, first, second]  # the last one goes
    assert led.definition == 1 and led.term == "WIP"
    moved = bot.retriever.led_by(found, third, "WIP")  # one found already: moved first
    assert [h.chunk for h in moved.hits] == [third, first, second]
    alone = bot.retriever.led_by(found, defining, "WIP", alone=True)
    assert [h.chunk for h in alone.hits] == [defining]


@pytest.mark.parametrize(
    ("question", "reason"),
    [
        # "L5 (Senior SWE) | $355,000 | …" names L5 in a table row: no sentence to answer
        # with, so the usual rules refuse it as they did before.
        ("What is an L5?", "weak-evidence"),
        ("What is Blind?", "off-topic"),  # far from every essay here: refused as such
    ],
)
def test_a_term_no_passage_defines_is_left_to_the_usual_rules(
    bot: Assistant, question: str, reason: str
) -> None:
    answer = bot.ask(question)
    assert answer.refused and answer.reason == reason, answer.text


def test_a_follow_up_is_no_term_question(bot: Assistant) -> None:
    """ "What are the drawbacks?" after a question on RSUs asks about RSUs: no essay uses
    "drawbacks", and it was refused as "No essay explains “drawbacks”"."""
    answer = bot.ask("What are the drawbacks?", ["Should I take RSUs or stock options?"])
    assert answer.reason != "unexplained-term", answer.text


def test_a_term_no_essay_writes_is_asked_for_itself_after_other_questions(
    bot: Assistant,
) -> None:
    """Short and barely matched, "What's a severance package?" looks like a follow-up;
    read with the question before it, it was answered with signing bonuses."""
    answer = bot.ask("What's a severance package?", ["How do I negotiate my offer?"])
    assert answer.refused and answer.reason == "unexplained-term", answer.text
    assert answer.query == "What's a severance package?"


@pytest.fixture(scope="module")
def with_contributing(tmp_path_factory, handbook_settings, embeddings) -> Assistant:
    """The handbook index's essays and one essay on open source communities, which
    writes "mark it as a work in progress (WIP)" in a passage on documenting work."""
    guide = SHARED_CORPORA / "opensource-guide" / "building-community.md"
    top = tmp_path_factory.mktemp("wip")
    settings = Settings(data_dir=top / "data", corpus=(*handbook_settings.corpus, guide))
    Ingester(settings, embeddings=embeddings).run()
    retriever = PassageRetriever.from_settings(settings, embeddings)
    return Assistant(settings, embeddings, retriever)


def test_a_definition_beyond_the_passages_found_answers_and_leads(
    with_contributing: Assistant,
) -> None:
    """ "What does WIP mean?": two short words match passages on compensation best and
    weakly (it had been refused as weak evidence); the passage that says what WIP is
    answers, alone, and its defining sentence comes first."""
    answer = with_contributing.ask("What does WIP mean?")
    assert not answer.refused, answer.text
    assert answer.text.split(" [1]")[0].endswith("a work in progress (WIP)"), answer.text
    assert all(c.source.endswith("building-community.md") for c in answer.citations)
    # What the eval checks a citation against, drafted anew, holds the same passage.
    found = with_contributing.retriever.retrieve(answer.query)
    again = with_contributing.outlined("What does WIP mean?", found)
    assert answer.citations[0].chunk_id in {h.chunk.id for h in again.hits}


@pytest.mark.parametrize(
    ("question", "alone"),
    [
        ("batna meaning?", True),  # a passage found alone says what it is
        ("What's a severance package?", True),  # no passage writes "severance"
        ("And what's a cliff?", False),  # goes on from the last turn
        ("What are the drawbacks?", False),  # the drawbacks of what was said
        ("What's an example?", False),  # an example of the conversation's topic
        ("How do I negotiate my offer?", False),  # asks no term's meaning
    ],
)
def test_a_question_asking_what_a_term_means_is_read_alone(
    bot: Assistant, question: str, alone: bool
) -> None:
    """Short and barely matched, a term question looks like a follow-up. Read with the
    question before it, "batna meaning?" after "whats pramp" was refused as weak
    evidence, and "What's a severance package?" after an offer question was answered
    with signing bonuses."""
    reading = Reading(bot.retriever, bot.settings, question, [], bot.settings.k)
    assert bot.terms.read_alone(reading) is alone


def test_a_term_the_conversation_s_passages_write_is_read_with_it(bot: Assistant) -> None:
    """There the conversation says which sense: "What is a foundation?" after a question
    on governance is the Apache Foundation's kind; read alone, it was answered with
    grantmaking foundations."""

    def alone(before: str) -> bool:
        reading = Reading(bot.retriever, bot.settings, "batna meaning?", [before], 5)
        return bot.terms.read_alone(reading)

    assert alone("What should I ask at the end of an interview?")
    assert not alone("Have a strong BATNA and communicate it")


def test_a_passage_writes_a_term_as_whole_words() -> None:
    """Spaces, hyphens and a plural aside; not inside other words ("ml" in "calmly")."""
    assert writes_term("Webpack raises money through OpenCollective.", "open collective")
    assert writes_term("Rora gives you customized scripts.", "script")
    assert writes_term("Most companies use an ATS to screen resumes.", "ATS")
    assert not writes_term("Answer calmly, like the team lead does.", "ml")
    assert not writes_term("Is that something you want?", "ats")
    assert not writes_term("Good answers are short.", "swe")


def test_a_term_question_the_rules_read_as_a_follow_up_is_still_read_alone(
    bot: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever made the rules read it with the conversation (on all the corpora,
    "batna meaning?" after "whats pramp" is barely matched and shares their essays),
    the term decides: the chain reads it alone and answers from its definition."""
    monkeypatch.setattr(question_reading, "leans_on_history", lambda *args, **kwargs: True)
    answer = bot.ask("batna meaning?", ["whats pramp"])
    assert answer.query == "batna meaning?"
    assert "Best Alternative To a Negotiated Agreement" in answer.text, answer.text
    leaning = bot.ask("What's an example?", ["How do I negotiate my offer?"])
    assert leaning.query != "What's an example?"
