"""Which passage units may stand as claims in a composed answer, and whose voice they
are in.

An essay's navigation ("see our guide"), captions, sign-offs and questions to the
reader are about the essay, not its subject: they never become claims. An essay's
"I" is its author's: an answer that repeats it says whose it is, so the assistant
never speaks as the author.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.citations import ATTRIBUTION_PREFIX, QUOTED_PREFIX
from assistant.search import Unit, instructs_assistant

# An author speaking of themselves ("I was able to", "my first job").
_FIRST_PERSON = re.compile(
    r"(?<![\w’'])(?:I|I'm|I've|I'd|I'll|I’m|I’ve|I’d|I’ll|my|me|mine|My|Me|Mine)(?![\w’'])"
)
# A quotation, closed or running to the end of the unit: someone else's words.
_QUOTED = re.compile(r'"[^"]*(?:"|$)|“[^”]*(?:”|$)')

# Sentences about the essay rather than the subject: navigation, promises of more,
# captions, sign-offs, advertising. They are never a claim, however close to the question.
_NOT_A_CLAIM = re.compile(
    r"\b(?:this|our|my) (?:guide|article|post|page|handbook|section|course)\b"
    r"|\bcheck out\b|\bsee (?:our|my|the|this)\b|\bread (?:more|on)\b|\bclick\b"
    r"|^\(?see (?:more|further|also)\b"
    r"|\brefer to (?:my|our)\b|\bguide here\b"
    r"|^here,? (?:I|we)(?: will|'ll|’ll)? (?:present|list|share|provide)\b"
    r"|\bsubscribe\b|\bsign up\b|\bdiscount\b|\bthat is all\b|\bthat's all\b"
    r"|\bthat(?:'s| is) it from me\b|\bhope (?:this|that|it) helps\b"
    # Cheers and farewells to the reader ("If you've received an offer, congratulations!").
    r"|\bwe hope you\b|\bcongratulations\b|^hooray\b|^good luck\b|\bthanks for reading\b"
    r"|\b\d{1,2}% off\b|\bcurrently offering\b|\bpromo(?:tion)? code\b|\bcoupon\b|\baffiliate\b"
    # A call to action: a link's text ending in an arrow ("Get lifetime access today →").
    r"|\s→\s*$"
    r"|^(?:summary|figure|image|diagram|screenshot|checklist)\b[^.]{0,100}(?::|\.?$)"
    r"|\bI (?:will|'ll) (?:also )?be (?:adding|writing|covering)\b"
    r"|\bwe(?:'ll|’ll| will| are going to|'re going to|’re going to)"
    r" (?:cover|look at|discuss|go through|explore)\b"
    # "…I'd like to share insights that might help others": what the essay will give, not
    # advice ("I'd like to share one rule: never give a number first" still is).
    r"|\b(?:I|we)(?:'d|’d| would) like to (?:share|offer|present) (?:some |my |our |a few )?"
    r"(?:insights|thoughts|lessons|experiences?|tips)\b(?![^.]*:)"
    r"|\bwe (?:go into|cover|talk about|discuss) (?:this|that|it) (?:more|further|in (?:more )?"
    r"detail)\b"
    # "The Understanding Compensation section goes into more detail": a pointer elsewhere
    # ("be ready to go into more detail on your projects" is advice).
    r"|\b(?:section|guide|page|post|article|chapter) goes into (?:more|further|greater) detail\b"
    # "We also have in-depth guides about negotiation strategies…": more, elsewhere.
    r"|\bwe (?:also )?have (?:[\w-]+ ){0,2}(?:guides?|articles?|posts?|write-?ups?) (?:about|on)\b"
    # "The ones in **bold** are…": the page's type, which a quoted sentence loses ("Write
    # it in plain English, not in bold capitals" is advice).
    r"|\b(?:ones|those|items|questions|words|parts?|points?|(?:marked|shown|highlighted|set))"
    r" in (?:\*\*|__)?(?:bold|italics?)\b"
    # Credit lines: where the essay's content came from, not what it says.
    r"|^(?:key points|excerpts?) (?:extracted |taken )?from\b|^(?:adapted|summari[sz]ed) from\b"
    r"|^originally (?:published|posted)\b|^(?:via|credits?|source):"
    r"|^the following (?:page|article|guide|post|section) (?:is|was) (?:written )?(?:in )?"
    r"(?:a )?collaboration\b"
    r"|^[^.]{0,40}\b(?:data|figures|statistics|chart) (?:taken|sourced|obtained) from\b"
    r"|^(?:summary|figure|image|table|source|note)\b[^.]{0,60}(?::|$)",
    re.IGNORECASE,
)

# A sentence that only points elsewhere, as a sentence of a list item.
_NAVIGATION = re.compile(
    r"^\(?(?:see|read|refer to|check out|click)\b|\bguide here\b|\bread more\b",
    re.IGNORECASE,
)

# A sentence broken off where the essay dropped something (a link or an image it never
# filled in): "…perhaps you need more stories around past mistakes or ." ends on a word
# that must be followed. Lower case only: "Plan A." ends a sentence; nor after ".", "/"
# or "-": "$120,000 p.a.", "write n/a.", "an either/or.".
_BROKEN_OFF = re.compile(
    r"(?<![\w./'’-])(?:and|or|nor|the|a|an)\s*[\"”’)\]]*\s*[.!?;:]+[\"”’)\]]*$"
)
# What may close a sentence after its full stop: quotes, brackets, emphasis.
_CLOSERS = "\"'”’)]*_ "

# Sections that list where to read more or who wrote the essay: their items are link
# titles and names ("Every Public Engineering Career Ladder", "SustainOSS"), which say
# nothing about the subject however close their words come to a question.
_REFERENCE_SECTION = re.compile(
    r"^(?:\d{1,3}[.)]\s*)?(?:references?|(?:additional|further|more|other|useful) "
    r"(?:resources|reading|links)|further reading|see also|credits|contributors"
    r"|acknowledge?ments|bibliography|links)(?: and (?:further reading|resources|links))?$",
    re.IGNORECASE,
)


def in_reference_section(heading: Sequence[str]) -> bool:
    """The passage's own section is "References", "Further reading", "Contributors"…:
    none of its units is a claim."""
    return bool(heading) and bool(_REFERENCE_SECTION.match(heading[-1].strip(" :#*").strip()))


def is_claim(unit: Unit) -> bool:
    """A unit that says something about the subject: not a question to the reader, not
    navigation, a caption, a sign-off or a sentence broken off (a list lead-in ending in ":"
    still counts)."""
    text = unit.text.strip()
    if text.endswith("?") and not unit.is_item:
        return False
    if " | " in text:
        return False  # a table row: cells out of their table say nothing on their own
    if instructs_assistant(text):
        return False  # an order to the assistant written into the essay, not advice
    if _BROKEN_OFF.search(text):
        return False  # says half of something: what completed it is missing
    if not unit.is_item and not unit.lead_in and _label(text):
        return False  # a label on its own line ("Expert tip", "Don'ts") or a cheer
    return _NOT_A_CLAIM.search(text) is None


def navigates(sentence: str) -> bool:
    """Whether a sentence only points elsewhere (``_NAVIGATION``): a list item may hold one
    among its advice ("Pull in changes from upstream often… (See more detailed
    instructions here.)"). Not the rest of ``_NOT_A_CLAIM``: "Diagram the data flow…" or
    "Summary sections should be one line" inside an item are advice."""
    return _NAVIGATION.search(sentence) is not None


def _label(text: str) -> bool:
    """Prose of three words at most without a full stop ("Expert tip", "Do's",
    "Frequency: Occasional"), or one exclaimed word ("Awesome!"): it names what follows
    or cheers, and says nothing alone. "Be concise." and "Give context." are advice."""
    words = text.split()
    ended = text.rstrip(_CLOSERS).endswith((".", "!", "?", "…"))  # 'Just say "no."'
    if len(words) <= 3 and not ended:
        return True
    return len(words) == 1 and text.endswith("!")


# A pull quote's credit at the end of its block: "… — @lord, "Tips for new open source
# maintainers"", "… — @thisisnic, maintainer of Apache Arrow", "… — open source
# maintainer", "… — Peter Cooper & Robert Nyman, "How to Spread the Word…"" (a name,
# then a quoted title: "— Python, Java, Go" is a list, and "I told them — "I need more
# time"" the author's own).
_CREDIT = re.compile(
    r"\s—\s+(?:@[\w.-]+\b[^—]{0,200}|(?:an? )?open source maintainer"
    r"|[A-Z][\w.'’-]*(?:\s+(?:&\s+)?[A-Z][\w.'’-]*){1,4},\s*[\"“][^—]{1,200})\s*$"
)


def credited(block: str) -> bool:
    """A block that ends by crediting someone else: a pull quote, whose "I" is theirs."""
    return _CREDIT.search(block) is not None


def speaks_as_author(text: str) -> bool:
    """The unit is in the author's first person ("I was able to", "my first job"), outside
    quotation marks: in "Tell me about your journey into tech" the "me" is an
    interviewer's, and a quoted sentence reads as no one's words but the quoted."""
    return _FIRST_PERSON.search(_QUOTED.sub(" ", text)) is not None


def attribute(sentence: str, title: str, *, quoted: bool = False) -> str:
    """An essay's "I" is its author's, not the assistant's: say whose it is. In a
    blockquote (``quoted``) it is someone the essay quotes, or a sample it gives ("I did
    my degree at…" in a model cover letter): the essay quotes it. The attribution carries
    no facts; the verifier checks the sentence without it."""
    if not title:
        return sentence
    return f"{(QUOTED_PREFIX if quoted else ATTRIBUTION_PREFIX).format(title=title)}{sentence}"
