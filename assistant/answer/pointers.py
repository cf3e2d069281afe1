"""Words that point back at earlier turns of a conversation.

"What about equity?", "Does that mean…", "those offers", "Ok so…": a question using
them means something only after what was said before. :mod:`assistant.answer.followup`
reads them to decide whether a question is retrieved alone or with the conversation;
everything here reads words only, no index.
"""

from __future__ import annotations

import re

from assistant.answer.pointer_words import ANAPHORA, WORD, pointer_words, points_inside
from assistant.search import STOPWORDS

_FOLLOWUP_OPENERS = re.compile(
    r"^(what|how)\s+(if|about)\b|^(and|but|or|so|then|also|instead)\b|^(why|how)\s*\??$|"
    r"^(is|are|was|were|does|do|should|can|could|would)\s+(it|they|that|this|those|these)\b",
    re.IGNORECASE,
)
# Pointers that (almost) always mean something said before, unlike "it" ("Is it rude
# to…?") or "one": a question using them is a follow-up whatever the essays say.
# ("they" and "them" stay: on dev-tune, dropping them won nothing and cost one question.)
_STRONG_POINTERS = re.compile(
    r"^(?:what|how)\s+(?:if|about)\b|^(?:and|but|or|so|then|also|instead)\b"
    r"|\b(?:those|these|ones|they|them)\b"
    # "that" as a pronoun ("does that mean", "help with that?"), not a relative
    # ("companies that work on AI safety") nor one pointing inside the question ("…a
    # 'Principal Engineer' title. Is that worth much?").
    r"|\b(?:does|did|would|will|can|could|should) that\b|\bthat\s*(?:[?.!,;]|$)"
    # "Does it change if I'm an intern?", "Does it apply to contract roles?", "Is that
    # different for…": a comparison with something said before. Not "Does it matter
    # whether…" nor "Is it different to negotiate by email…", whose "it" is a dummy.
    r"|\b(?:does|did|would|will) (?:it|that|this) (?:change|differ|apply)\b"
    r"|\b(?:is|was|would) (?:that|this) (?:be )?(?:the same|different)\b"
    r"|\bis it (?:the same|different)\b(?!\s+(?:to|whether)\b)"
    # "…forever though?": a reply to what was said, not a question of its own.
    r"|\bthough\s*[?.!]*$"
    # A choice between things said before: "the latter", "the other one"; not "the former
    # employer" (an adjective before its noun) nor "the first one-on-one". ("Which one"
    # is read in points_back_strongly, against the whole question.)
    r"|\bthe (?:former|latter)\b(?!\s+(?:employer|company|job|role|manager|boss|team|position"
    r"|colleague|coworker|employee|startup|offer|school|university)s?\b)"
    r"|\bthe (?:first|second|other) one\b(?!-|\s+of\b)",
    re.IGNORECASE,
)
# "Which one…?" chooses between things said before, unless the question names its own:
# "Which one of the big companies…", "…, Python or Java?", "Between a startup and big
# tech, which one…", "I got two offers, which one…".
_WHICH_ONE = re.compile(r"\bwhich one\b(?!\s+of\b)", re.IGNORECASE)
_OWN_OPTIONS = re.compile(r"\b(?:or|between|vs\.?|versus|both|two|three|either)\b", re.IGNORECASE)
# "One" ending a clause stands for a thing named before, when the question names none it
# could be: "ok so what do i actually write when i close one?", "Do I need one?"; not
# "…every subfield or pick one?" (its own options), "no one", "a first one on one" or
# "one-on-one".
_PRONOUN_ONE = re.compile(
    r"(?<!\bno )(?<!\bevery )(?<!\bon )(?<!-)\bone\s*(?:[?!.,;]|$)", re.IGNORECASE
)
# A determiner and the word after it: a noun the question names, that its "one" may stand
# for ("Should I quit my job before I find a new one?", "…a resume when I've never had
# one?"); not the one's own ("How do I write a good one?": "one" within two words).
_NAMED = re.compile(
    r"\b(?:a|an|the|my|your|our|their|his|her|this|that|these|those)\s+"
    r"(?!(?:\S+\s+)?one\b)[A-Za-z]",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"(?<=[.?!])\s+(?=[A-Z\"“])")
# A question this short means little alone: "What about equity?", "Is it worth it?".
SHORT_WORDS = 8
# A turn this short with a pointer hands a conversation's topic on (see
# :func:`says_little`).
FEW_WORDS = 5
# A first sentence with this many words of its own sets the scene the rest points at.
SCENE_WORDS = 3
# Words that acknowledge the last answer. Opening a question, the first acknowledge
# whatever follows ("Ok so what do I…"), the rest only before punctuation ("Great, …";
# "Right and wrong ways to ask for a raise?" acknowledges nothing). As a whole first
# sentence, all but "thanks" need punctuation or its end after them ("Okay.").
_ACK_WORDS = r"ok(?:ay)?|alright|got it|thanks(?: so much)?|thank you|makes sense|understood|i see"
_ACK_WORDS_PUNCTUATED = r"cool|great|perfect|sure|right|nice|interesting"
# A first sentence that only acknowledges the last answer sets no scene of its own.
_ACKNOWLEDGES = re.compile(
    rf"^(?:(?:thanks|thank you)\b|(?:{_ACK_WORDS}|{_ACK_WORDS_PUNCTUATED})\s*(?:[,.!]|$))",
    re.IGNORECASE,
)
# Acknowledgements opening a question: "Ok so…", "Okay thanks, and…", "Got it. What
# if…"; not when "so" goes on as "so much/many/far" ("Thanks so much! How do I…").
_ACKNOWLEDGED = re.compile(
    rf"^(?:(?:{_ACK_WORDS})\b\s*[-–—,.!…]*\s*"
    rf"|(?:{_ACK_WORDS_PUNCTUATED})\s*[-–—,.!…]+\s*)+(?=\S)"
    r"(?!so\s+(?:much|many|far|long)\b)",
    re.IGNORECASE,
)
# After an acknowledgement only these open a follow-up for sure: "Okay, and for interns?",
# "Thanks, what about equity?"; "Alright then, how do I…", "Cool, but how do I…", "Ok so,
# different question…" as often open a new one (they still point back, weakly).
_SURE_AFTER_ACKNOWLEDGING = re.compile(r"^(?:and\b|(?:what|how)\s+(?:if|about)\b)", re.I)
# Pointers a later sentence can only mean about an earlier turn, scene or not: "What
# about…", "And…", "those offers".
_LATER_POINTERS = re.compile(
    r"^(?:what|how)\s+(?:if|about)\b|^and\b|\b(?:those|these)\b", re.IGNORECASE
)


def unacknowledged(question: str) -> str:
    """The question without the acknowledgements that open it: "Ok so what do I write…?"
    opens as "So what do I write…?" does."""
    return _ACKNOWLEDGED.sub("", question.strip())


def points_back(question: str) -> bool:
    """The question points at an earlier turn: it opens like a follow-up ("What about…",
    "And…") or uses a word that stands for something said before ("it", "those")."""
    bare = unacknowledged(question)
    return (
        bool(_FOLLOWUP_OPENERS.search(bare))
        or bool(pointer_words(question))
        or _points_back_strongly(question.strip(), bare)
    )


def points_back_strongly(question: str) -> bool:
    """The question opens as a follow-up ("What about…", "And…") or uses a pointer that
    stands for something said before ("those", "does that mean", "Which one is better at
    a startup?" when it names no options of its own)."""
    return _points_back_strongly(question.strip(), unacknowledged(question))


def _points_back_strongly(q: str, bare: str) -> bool:
    """:func:`points_back_strongly` of ``q``, stripped, and ``bare``, ``q`` without its
    acknowledgements (read once by callers that need both)."""
    if _SURE_AFTER_ACKNOWLEDGING.search(bare) or any(
        not points_inside(m.group(0), q[: m.start()], q[m.end() :])
        for m in _STRONG_POINTERS.finditer(q)
    ):
        return True
    if _OWN_OPTIONS.search(q):
        return False  # "…pick one?", "which one…" between options it names
    which = _WHICH_ONE.search(q)
    if which is None:
        return bool(_PRONOUN_ONE.search(q)) and not _NAMED.search(q)
    # Options named before it ("offers from a startup and from Google; which one…").
    return " and " not in q[: which.start()]


def own_pointers(question: str) -> str:
    """The part of ``question`` whose pointers may point at earlier turns.

    A question that sets its own scene first ("The recruiter keeps asking what I earn.
    Should I just tell them?") points inside itself: "them" is the recruiter, so only
    its first sentence is read for pointers ("it", "they", "that"). Not when the first
    sentence only acknowledges the last answer ("Okay, that makes sense."), nor for
    pointers a later sentence can only mean about an earlier turn ("What about…",
    "those"). On the tune sets, asked after an unrelated question, such questions were
    read with it; reading them alone raised the right essay's rate at rank 1 from 0.700
    to 0.800 on gold.jsonl and from 0.708 to 0.750 on refusal-tune (dev-tune as it was),
    and changed no real follow-up."""
    sentences = _SENTENCE_END.split(question.strip())
    if len(sentences) < 2 or _ACKNOWLEDGES.match(sentences[0]):
        return question  # "Okay, I get the salary part now. What about equity?"
    before = sentences[0]
    for sentence in sentences[1:]:
        for m in _LATER_POINTERS.finditer(sentence):
            if not points_inside(
                m.group(0), f"{before} {sentence[: m.start()]}", sentence[m.end() :]
            ):
                return question
        before = f"{before} {sentence}"
    first = sentences[0]
    words = [w.lower() for w in WORD.findall(first)]
    scene = [w for w in words if w not in STOPWORDS and w not in ANAPHORA]
    if len(scene) >= SCENE_WORDS and not points_back_strongly(first):
        return first
    return question


def looks_like_followup(question: str) -> bool:
    words = [w.lower() for w in WORD.findall(question)]
    if _FOLLOWUP_OPENERS.search(unacknowledged(question)):
        return True
    if names_no_subject(question):
        return True
    content = [w for w in words if w not in STOPWORDS and w not in ANAPHORA]
    # Short and mostly pointers ("What about equity?" is short but has its own topic word,
    # so it still gets the context: equity *in the negotiation*).
    return len(words) <= SHORT_WORDS or (bool(pointer_words(question)) and len(content) <= 4)


# Words that ask for a form of help and name no subject: a question made only of them
# (and stopwords) means something only with the conversation's topic.
_ANY_SUBJECT = frozenset(
    "kind kinds sort sorts type types checklist checklists list lists template templates"
    " example examples sample samples tip tips advice resource resources guide guides step"
    " steps tool tools idea ideas way ways thing things anything something everything else"
    " good best better great recommend recommended recommendation recommendations suggest"
    " suggestion suggestions go use using help helpful useful specific concrete practical"
    " detail details exist exists available framework frameworks rule rules"
    # Verbs that need the topic for an object: "What should I bring up?", "…to expect?"
    " ask say tell know think consider bring mention raise cover check look follow keep need"
    " try make start prepare expect avoid remember".split()
)


def names_no_subject(question: str) -> bool:
    """Every word of the question is a stopword, a pointer, or asks for a form of help
    (``_ANY_SUBJECT``): "Is there some kind of checklist I could go through?" asks for a
    checklist of whatever the conversation is about. Read alone, it retrieved the essays'
    checklist for launching a project."""
    words = [w.lower() for w in WORD.findall(question)]
    # No word read at all ("有什么建议吗？"): nothing to judge it by.
    return bool(words) and all(w in STOPWORDS or w in ANAPHORA or w in _ANY_SUBJECT for w in words)


# Words that open a question or a request even without its "?": "how do i negotiate",
# "tips for a first PR", "explain vesting". A turn opening otherwise, with no "?",
# tells rather than asks (see :func:`sets_scene`).
_ASKS = re.compile(
    r"^(?:(?:how|what|what's|whats|why|when|where|which|who|whom|whose|is|are|am|was|were|do|"
    r"does|did|should|shall|can|could|would|will|may|might|must|any|anything|tips?|advice|"
    r"help|tell|explain|give|list|recommend|suggest|show|describe|compare|please|write|find|"
    r"summari[sz]e|let me know|looking for)\b(?!['’]t\b)"
    # Requests that open with "I": "I need help with my resume", "I'd like some tips…".
    r"|i(?:['’]d| would)? (?:like|love) (?:to know|some|a few|advice|help|tips)\b"
    r"|i (?:need|want) (?:to know|help|advice|tips|some)\b|i(?:['’]m| am| was) wondering\b"
    r"|i wonder\b)",
    re.IGNORECASE,
)
# Replies to the last answer, not a situation: "Great answer, this is what I needed",
# "No, I meant the equity part".
_REPLIES = frozenset(
    "great thanks thank cool nice perfect awesome wow no yes yeah yep nope ok okay sure "
    "right".split()
)
# A greeting says nothing of the situation: "Hi, I found a bug…" tells as "I found…" does.
_GREETING = re.compile(r"^(?:hi|hello|hey)\b[\s,.!:;-]*", re.IGNORECASE)


def sets_scene(turn: str) -> bool:
    """The turn tells and asks nothing: "I maintain a small library and a company just
    started using it.", "I think a grant makes the most sense for us." Said in a chat,
    it is the situation the next question is asked in ("Should I just start coding, or
    do I need to say something first?"). No "?", more than ``FEW_WORDS`` words after
    any acknowledgement ("Thanks, that helps." sets no scene), no opening that asks or
    requests ("how do i negotiate" is a question without its mark), and none that points
    at the last answer ("That makes sense for our team.")."""
    bare = unacknowledged(_GREETING.sub("", turn.strip()))
    words = [w.lower() for w in WORD.findall(bare)]
    return (
        not any(mark in turn for mark in "?？¿")
        and len(words) > FEW_WORDS
        and not _ASKS.match(bare)
        # "Thanks, that makes a lot of sense for our team.": a reply to the last answer.
        and words[0] not in ANAPHORA
        and words[0] not in _REPLIES
    )


def says_little(question: str) -> bool:
    """At most ``FEW_WORDS`` words: "Is that normal?", "Is it worth it?", "Why not?"; not
    "Is it worth doing a PhD?"."""
    return len(WORD.findall(question)) <= FEW_WORDS
