"""Questions that ask what a term means: "What's BATNA?", "fiscal sponsor meaning",
"What does WIP mean on a pull request?".

Such a question is about its term and nothing else, so the term decides whether the
essays cover it. A sentence that uses "BATNA" once answers "What's BATNA?", though the
question's vector, two words long, matches no passage well (cosine 0.23): the term is
named in a passage found, and the question is answered. And no essay that never uses
"sponsorware" or "409A" can say what it is, however well the rest of the question
matches ("What's a 409A valuation?" had been answered with a bonus calculation).
"""

from __future__ import annotations

import re

# How a definition is asked for, before the term: "What's (a)", "what does", "Can you
# explain (what) (a)", "define", "meaning of". Not "What is the best way to…", "What's
# the difference between…" nor "What is it like…": those ask for more than a meaning.
_BEFORE = re.compile(
    r"^(?:(?:so|and|ok(?:ay)?|hey|hi)[,!.]?\s+)*"
    r"(?:what(?:['’]s|s| is| are| does| do)|whats|define|definition of|meaning of"
    r"|(?:can|could) you (?:explain|define|tell me)(?: what)?|explain(?: what)?)"
    r"\s+(?:(?:a|an|the)\s+)?",
    re.IGNORECASE,
)
# How it ends, after the term: "mean", "stand for", "is", "exactly", "do", … and
# whatever says where the term was met ("mean on a pull request").
_AFTER = re.compile(
    r"\s+(?:(?:really|actually|exactly)\s+)*"
    r"(?:means?|stands? for|is|are|does|do|exactly|meaning|definition)\b.*$",
    re.IGNORECASE,
)
# Or only a word after it: "batna meaning?", "fiscal sponsor definition".
_SUFFIX = re.compile(r"\s+(?:meaning|definition)$", re.IGNORECASE)
# A term is a few words; a longer "what is…" asks a question of its own.
TERM_WORDS = 3
# First words that make "what is the …" a question, not a term ("the best way", "the
# difference", "the point of", "it like").
_NOT_A_TERM = re.compile(
    r"^(?:best|right|most|worst|difference|point|purpose|deal|way|process|goal|role|reason"
    r"|chance|odds|it|this|that|those|these|they|there|i|you|my|your|me|wrong|up|going on"
    r"|happening|next|usual|typical|normal|average|good|bad|better|worse|more|less)\b",
    re.IGNORECASE,
)


def asked_term(question: str) -> str:
    """The term ``question`` asks the meaning of, as written ("BATNA", "fiscal sponsor",
    "WIP"), or "" when it asks something else."""
    q = question.strip().rstrip("?!. ").strip()
    before = _BEFORE.match(q)
    if before:
        term = _AFTER.sub("", q[before.end() :])
    elif _SUFFIX.search(q):
        term = _SUFFIX.sub("", q)
    else:
        return ""  # neither "what is…" nor "…meaning": some other question
    term = term.strip(" \"'“”‘’")
    words = term.split()
    if not words or len(words) > TERM_WORDS or _NOT_A_TERM.match(term):
        return ""
    return term
