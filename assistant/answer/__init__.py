"""Stage 3, passages to a checked answer: follow-ups, refusals, the extractive and LLM
generators, and the citation check every draft goes through.

Public entry point: :class:`Assistant` (``ask``/``stream``/``aask``/``astream``). The
evaluation reuses the verifier's pieces: :func:`split_claims`, :func:`shares_run`,
:func:`supporting_text`, :func:`chunk_support`, :class:`SupportScorer`, :func:`prompt`
and :func:`already_said`.
"""

from assistant.answer.chain import Assistant
from assistant.answer.citations import (
    MARKERS,
    chunk_support,
    shares_run,
    split_claims,
    supporting_text,
    without_attribution,
)
from assistant.answer.prompting import prompt
from assistant.answer.repeats import SAID_CHARS, already_said
from assistant.answer.support import SupportScorer

__all__ = [
    "MARKERS",
    "SAID_CHARS",
    "Assistant",
    "SupportScorer",
    "already_said",
    "chunk_support",
    "prompt",
    "shares_run",
    "split_claims",
    "supporting_text",
    "without_attribution",
]
