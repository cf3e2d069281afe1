"""Follow-up questions become standalone retrieval queries.

"What if they say the number is final?" retrieves nothing useful on its own;
after "How should I negotiate my salary offer?" it is about negotiation. With an
LLM the question is rewritten by a prompt (``prompts/condense.md``); without
one, deterministically: when the question leans on earlier turns (its words point
back, or the essays barely match it alone), the previous user turn is appended to
it (and, in a chain of follow-ups, the turns it pointed back at), so both BM25 and
the dense embedding see the topic. A question the essays answer
on their own, from other essays than the previous turn, starts a new topic instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from assistant.answer.conversation import TOPIC_TURNS, topic_turns, with_context
from assistant.answer.match_strength import barely_matched, weak_evidence
from assistant.answer.pointers import (
    looks_like_followup,
    names_no_subject,
    own_pointers,
    points_back,
    points_back_strongly,
    sets_scene,
)
from assistant.config import Settings
from assistant.search import PassageRetriever, Retrieved, terms

# A question is on the previous turn's topic when their top passages share an essay,
# among this many each (see :func:`same_topic`).
TOPIC_PASSAGES = 3
# A question after a turn that told the user's situation is read with it when that
# raises the best passage's cosine by this much (see :func:`told_situation`). Chosen on
# fourteen such conversations written for it (eval/datasets/followup-tune.jsonl, f-053
# to f-066), where the gains were 0.02 to 0.51 (all but one 0.05 or more), and on covered
# questions with their own subject asked after a told situation ("How do I negotiate a job
# offer?" after "I'm a senior engineer at a bank."), where they were -0.15 to 0.03.
SCENE_GAIN = 0.04
# ...and when it matches at most this much less than the told turn alone: the two are
# about one thing. "Who won the world cup in 2018?" after "I maintain a popular open
# source project…" gained 0.42 over its own 0.09, and fell 0.18 below the statement's
# 0.69; on those fourteen conversations the question read with the turn fell at most
# 0.09 below it.
SCENE_DILUTION = 0.10


@dataclass
class Reading:
    """One question in its conversation, as the rules below read it: each query they
    need is retrieved once. The previous turn alone is asked about by
    :func:`told_situation`, :func:`same_topic` and :func:`widened` alike, and the
    question read with it by :func:`told_situation` and then by the chain's retrieval.

    ``turns`` are the earlier user turns (``conversation.user_turns``), oldest first."""

    retriever: PassageRetriever
    settings: Settings
    question: str
    turns: Sequence[str]
    k: int
    _found: dict[str, Retrieved] = field(default_factory=dict, init=False, repr=False)

    def retrieve(self, query: str) -> Retrieved:
        """What ``query`` retrieves, from the retriever the first time it is asked. A
        reading of the question (it holds the question's words) asks what the question
        asks: "…? How long should my resume be?" joined before it is not a length. An
        earlier turn retrieved alone only tells the rules what it was about, so it asks
        no quantity: ranked by its numbers, "How much is a typical signing bonus?" found
        only the compensation essay, and "Can I negotiate it?" lost its topic."""
        if query not in self._found:
            asks = self.question if self.question in query else ""
            self._found[query] = self.retriever.retrieve(query, self.k, asks=asks)
        return self._found[query]

    @property
    def alone(self) -> Retrieved:
        """What the question retrieves read alone."""
        return self.retrieve(self.question)

    def fused(self, first: Retrieved, variants: Sequence[str]) -> Retrieved:
        """``first`` (what the question's reading retrieved) with what it retrieves read
        as each of ``variants``, fused: ``first`` leads (:meth:`PassageRetriever.fused`)."""
        return self.retriever.fused([first, *map(self.retrieve, variants)], self.k)


def topic_of(reading: Reading) -> Retrieved | None:
    """What the turns the question would take its topic from (:func:`topic_turns`)
    retrieve, read together; None without earlier turns."""
    if not reading.turns:
        return None
    return reading.retrieve(" ".join(topic_turns(reading.turns)))


def borrows_an_uncovered_topic(reading: Reading) -> bool:
    """The question names no subject (:func:`names_no_subject`), and the essays barely
    match every earlier turn in reach (``TOPIC_TURNS`` before the previous one) read
    together, a told situation's own particulars aside (:func:`without_told_terms`).
    "Is there some kind of checklist of things I should bring up?" after a question on
    one-on-ones with a new manager, which no essay covers: read with it, it was
    answered with tips for cover letters; read alone, with the checklist for launching
    a project. "Anything else I should prepare?" after "How do I prepare for coding
    interviews?" and "I have three weeks before my Google phone screen." is covered."""
    question, turns = reading.question, reading.turns
    if not turns or not names_no_subject(question):
        return False
    context = list(reversed(turns[-TOPIC_TURNS - 1 :]))
    found = without_told_terms(reading.retrieve(" ".join(context)), question, turns)
    return barely_matched(found, reading.settings)


def leans_on_history(reading: Reading, *, off_topic_below: float, scene: bool = False) -> bool:
    """A follow-up by its words ("what about…", "those"), or a question the essays
    barely match on its own: with the conversation it may be about something.

    Unless the essays answer it on its own, from other essays than the previous turn,
    and nothing in it points back for sure: "Is it rude to ask about work-life balance
    at the end of an interview?", asked after a question on funding open source, points
    back by its "it" alone, and read with the funding question it was refused.

    ``scene``: the last turn told the situation the question is asked in, and the essays
    match the question better with it (:func:`told_situation`)."""
    question, alone, settings = reading.question, reading.alone, reading.settings
    pointers = own_pointers(question)
    if not points_back(pointers):
        if alone.dense_best < off_topic_below and not scene:
            # Its own subject, and one no essay is about ("How do I negotiate my salary?"
            # after questions on AI careers): a new question, refused as such, not the
            # last topic's answer again. After a turn that told the situation, the
            # question may have no subject but that ("What would a concrete limit look
            # like in practice?").
            return False
        if not (scene or looks_like_followup(question)) and (
            alone.dense_best >= settings.followup_below
        ):
            return False
    if scene or weak_evidence(alone, settings) or points_back_strongly(pointers):
        return True
    if names_no_subject(question):
        return True  # what it matched alone was no subject of its own
    if points_back(pointers) and barely_matched(alone, settings):
        # It points back, and alone it would be refused for words the essays never use:
        # "What should go in it besides install steps?" after a question on READMEs.
        return True
    return same_topic(reading)


def told_situation(reading: Reading) -> Retrieved | None:
    """What the question read with its context (``conversation.with_context``)
    retrieves, when the last turn told the situation it is asked in (:func:`sets_scene`)
    and the essays match the question better so, by ``SCENE_GAIN`` or more in the best
    passage's cosine, and the two read together about as well as the situation alone
    (``SCENE_DILUTION``). The caller answers from it rather than retrieving the same query twice.

    followup-tune f-053: "I'm planning to quit the mid-size startup I've been at for three
    years, and I still have a bunch of stock options I never bought." then "Is there
    anything money-related I need to sort out before handing in my notice?" (0.29 alone,
    0.53 with it). Not "I've been contributing to open source for a year." then "Should I
    put my GPA on my resume?" (0.44, 0.45): the question has its own subject, and read
    with the situation it was answered from the open-source essays.

    When the essays cover the situation itself, its own particulars ("openings for backend
    engineer") are not what the question hinges on: they do not count as words the essays
    never use (:func:`without_told_terms`). When they don't ("I'm on an H1B visa and my
    employer just announced layoffs."), those words are the question's subject, and may
    refuse it ("How long do I have to find a new job?")."""
    question, turns = reading.question, reading.turns
    if not turns or not sets_scene(turns[-1]):
        return None
    read = reading.retrieve(with_context(question, turns))
    if read.dense_best < reading.alone.dense_best + SCENE_GAIN:
        return None
    told = reading.retrieve(turns[-1])
    if read.dense_best < told.dense_best - SCENE_DILUTION:
        return None
    if barely_matched(told, reading.settings):
        return read
    return without_told_terms(read, question, turns)


def widened(reading: Reading, read: tuple[str, Retrieved]) -> tuple[str, Retrieved]:
    """``read`` (a follow-up's query with context, and what it retrieved), or, when the
    essays barely match it (:func:`barely_matched`) but do match the previous turn alone,
    the question read with every earlier turn in reach, if the essays match that.

    In "how should i prep for behavioral interviews at big tech companies?", "do i really
    have to memorize answers to like 30 different questions?", "ok so which ones are
    actually worth prepping ahead of time then?" (followup-tune f-043), the middle turn
    holds the topic only with the turn before it, and does not lean back by its words:
    the last question, read with it alone, was refused. On followup-tune this answered that
    question (false refusals 0.020 → 0) and changed nothing else on the tune sets. A
    follow-up to a turn the essays don't cover ("How do I get a US work visa?", "And what
    if they refuse?") stays refused: an older topic would answer something not asked."""
    (query, retrieved), turns, settings = read, reading.turns, reading.settings
    if not turns or not barely_matched(retrieved, settings):
        return read
    wider = " ".join([reading.question, *reversed(turns[-TOPIC_TURNS - 1 :])])
    if wider == query or barely_matched(reading.retrieve(turns[-1]), settings):
        return read
    found = reading.retrieve(wider)
    return read if barely_matched(found, settings) else (wider, found)


def without_told_terms(retrieved: Retrieved, question: str, turns: Sequence[str]) -> Retrieved:
    """``retrieved`` without the unknown terms (:attr:`Retrieved.unknown_terms`) that
    only turns telling the situation (:func:`sets_scene`) brought into the query (see
    :func:`told_situation`, its one caller).

    A user's situation is full of their own particulars ("openings for backend engineer"),
    words the essays never use that the question does not hinge on; read with the question
    they made it refused as not covered. Those of the question itself, or of a turn that
    asked ("How do I get a US work visa?"), still count."""
    told = {t for said in turns if sets_scene(said) for t in terms(said)}
    told -= set(terms(question))
    told -= {t for said in turns if not sets_scene(said) for t in terms(said)}
    if not told.intersection(retrieved.unknown_terms):
        return retrieved
    kept = tuple(t for t in retrieved.unknown_terms if t not in told)
    return replace(retrieved, unknown_terms=kept)


def same_topic(reading: Reading) -> bool:
    """The question's best passages and the topic's share an essay: the topic is the
    latest of the earlier user ``turns`` (at most ``TOPIC_TURNS`` back) the essays cover.
    A turn they don't cover lends no topic (on the bundled essay alone every question
    shares its one essay with "How do I negotiate my salary?"), and a short follow-up
    ("Is that normal?") hands the topic on to the turn before it.

    `career-assistant eval` asks each standalone question of a set after an unrelated
    one (``retrieval.switch_*``). On dev-tune, reading a question that pointed back
    with the previous turn unless this test failed raised the right essay's rate at
    rank 1 from 0.674 to 0.717 and evidence recall@5 from 0.547 to 0.630 (asked alone:
    0.761, 0.681), with every real follow-up as before (gold.jsonl: 0.650 to 0.700)."""
    mine = {h.chunk.source for h in reading.alone.hits[:TOPIC_PASSAGES]}
    for previous in reversed(reading.turns[-TOPIC_TURNS:]):
        before = reading.retrieve(previous)
        if not weak_evidence(before, reading.settings):
            return any(h.chunk.source in mine for h in before.hits[:TOPIC_PASSAGES])
    return False
