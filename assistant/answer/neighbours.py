"""A sentence beside one that matches the question often says what answers it.

"Is it ok to open a PR when my code is only half done?": in "How to Contribute to Open
Source" the sentences closest to the question restate it (cosine about 0.6), and the
advice, "Just open it as a 'draft' or mark as a 'WIP'…", sits next to them at 0.19, far
under the floors selection applies. An essay's paragraph stays on one point, so a
sentence's relevance is lifted part of the way towards its best neighbour's.

Only prose sentences that say something are lifted: a list's items and its lead-in are
read as a list already (:meth:`ExtractiveGenerator._with_lists`), and a short line
beside a good sentence is more often a label ("Expert tip") or an aside than advice.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from assistant.search import Unit

# How far a sentence's relevance moves towards its best neighbour's, when that is
# higher: 0 keeps it, 1 makes it the neighbour's. Chosen on the tune sets against 0.3
# and 0.7 (no lift → 0.5: key points dev-tune 0.566 → 0.613, gold.jsonl 0.675 → 0.689,
# followup-tune 0.625 → 0.645, refusal-tune 0.639 → 0.694; 0.3 and 0.7 gained less).
NEIGHBOUR_LIFT = 0.5
# A sentence this short is not lifted: the labels and cheers a lift brought in ("Do's",
# "Awesome!", "Depends.") were all shorter.
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
