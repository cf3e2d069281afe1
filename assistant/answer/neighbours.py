"""A sentence beside one that matches the question often says what answers it.

"Is it ok to open a PR when my code is only half done?": in "How to Contribute to Open
Source" the sentence before the advice restates the question (cosine 0.66 to the query as
retrieved, "a pull request" spelled out), and the advice, "Just open it as a 'draft' or
mark as a 'WIP'…", matches it at 0.12, far under the floors selection applies. An essay
stays on its point from one sentence to the next, so a sentence's relevance is lifted
part of the way towards its better neighbour's in the same passage.

Only prose sentences that say something are lifted: a list's items and its lead-in are
read as a list already (:meth:`ExtractiveGenerator._with_lists`), and a short line
beside a good sentence is more often a label ("Expert tip") or an aside than advice.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.search import Unit

# How far a sentence's relevance moves towards its best neighbour's, when that is
# higher: 0 keeps it, 1 makes it the neighbour's. Chosen on the tune sets (no lift → 0.5:
# key points dev-tune 0.566 → 0.613, gold.jsonl 0.675 → 0.682, followup-tune 0.625 →
# 0.645, refusal-tune 0.639 → 0.694). Without the word limit below, 0.3, 0.5 and 0.7 gave
# dev-tune 0.588, 0.613 and 0.591. On dev-test the gain did not carry over (0.559 → 0.555).
NEIGHBOUR_LIFT = 0.5
# A sentence this short is not lifted. It kept out the labels and cheers the first version
# brought in ("Do's", "Awesome!"), which `claims.is_claim` now refuses anyway; it also
# keeps out short replies beside a good sentence ("Depends.", "Not always."), and short
# advice ("Be concise.") with them.
NEIGHBOUR_MIN_WORDS = 6


def lifted(cosines: np.ndarray, units: Sequence[Unit], passage: Sequence[int]) -> np.ndarray:
    """``cosines`` (unit i's similarity to the question), each prose sentence of
    ``NEIGHBOUR_MIN_WORDS`` words or more lifted ``NEIGHBOUR_LIFT`` of the way towards
    the higher of its neighbours' in the same passage (``passage[i]``, units in
    passage order)."""
    cos = np.asarray(cosines, dtype=float)
    out = cos.copy()
    for i, unit in enumerate(units):
        if unit.is_item or unit.lead_in or len(unit.text.split()) < NEIGHBOUR_MIN_WORDS:
            continue
        near = [cos[j] for j in (i - 1, i + 1) if 0 <= j < len(units) and passage[j] == passage[i]]
        if near and max(near) > cos[i]:
            out[i] = cos[i] + NEIGHBOUR_LIFT * (max(near) - cos[i])
    return out
