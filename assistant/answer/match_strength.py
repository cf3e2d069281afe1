"""How well the essays match a question, as refusal and follow-up reading judge it.

Three tests over one retrieval (:class:`~assistant.search.Retrieved`), each a pair of
cosines: the best passage's and the best sentence's (``unit_best``), so a section that
states the answer in one sentence is not refused for the rest of it. The thresholds are
settings, chosen on the tune sets (the README's settings table says on what).
"""

from __future__ import annotations

from assistant.config import Settings
from assistant.search import LARGE_COLLECTION, Retrieved


def barely_matched(retrieved: Retrieved, settings: Settings) -> bool:
    """The essays barely match the query, as the chain refuses it for: nothing found, weak
    evidence, or words the essays never use with a match too weak to outweigh them."""
    return (
        not retrieved.hits
        or weak_evidence(retrieved, settings)
        or (
            len(retrieved.unknown_terms) >= settings.refuse_unknown_terms
            and retrieved.dense_best < settings.refuse_unknown_below
        )
    )


def weak_evidence(retrieved: Retrieved, settings: Settings) -> bool:
    """The essays barely match the query: no passage reaches ``refuse_below`` and no
    sentence of the passages found (``Retrieved.unit_best``) exceeds ``answer_unit_above``."""
    return (
        retrieved.dense_best < settings.refuse_below
        and retrieved.unit_best <= settings.answer_unit_above
    )


def nearly_matched(retrieved: Retrieved, settings: Settings) -> bool:
    """Among the passages of a large collection (``LARGE_COLLECTION``), the best match is
    one chance gives a question they don't cover: no passage reaches
    ``refuse_near_below`` and no sentence exceeds ``near_unit_above``.

    Only the answer is refused for it, never the reading: a question that weak alone is
    not read with the conversation for it (``followup.leans_on_history``), or "How should I
    explain being fired…?" after a question on licences got the licence checklist."""
    return (
        retrieved.passages >= LARGE_COLLECTION
        and retrieved.dense_best < settings.refuse_near_below
        and retrieved.unit_best <= settings.near_unit_above
    )
