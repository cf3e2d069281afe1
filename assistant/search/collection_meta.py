"""What a collection records about itself, in its Chroma metadata.

Several app processes, on several machines, may share one `chroma run` server. Their
caches (the exact-search matrix, BM25) must notice any change, wherever it was made:
every ingest commit writes a new ``index_version``, and a reader reloads when the
version or the chunk count moved. A chunk count alone misses an edit that keeps it,
and a file in one machine's data dir is invisible to the others.

The collection also names the embedding model its vectors came from. A query vector
of one model against passage vectors of another ranks noise, and an ingest with
another model would mix the two, so both are refused. What is compared is the model's
weights (``LocalEmbeddings.fingerprint``), not how they run: the same weights in
another folder, dtype or backend are the same model. The backend is recorded only
to be shown.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Protocol

from assistant.errors import IndexModelMismatchError

VERSION = "index_version"
FINGERPRINT = "embedding_fingerprint"
MODEL = "embedding_model"
BACKEND = "embedding_backend"


class Model(Protocol):
    """What the stamp needs of an embedding model (``LocalEmbeddings`` has it)."""

    @property
    def name(self) -> str: ...

    @property
    def fingerprint(self) -> str: ...

    @property
    def backend(self) -> str: ...


def version_of(meta: Mapping[str, Any] | None) -> int:
    """The collection's version; 0 for one no ingest has stamped yet."""
    value = (meta or {}).get(VERSION, 0)
    return value if isinstance(value, int) else 0


def check_model(meta: Mapping[str, Any] | None, model: Model, where: str) -> None:
    """Refuse a collection whose vectors another model made. One never stamped (built
    before this check existed, or still empty) is accepted."""
    recorded = (meta or {}).get(FINGERPRINT)
    if not recorded or recorded == model.fingerprint:
        return
    built_with = (meta or {}).get(MODEL, "another model")
    raise IndexModelMismatchError(
        f"The index at {where} holds vectors of the embedding model {built_with} ({recorded}), "
        f"but the model configured here is {model.name} ({model.fingerprint}): set "
        "CAREER_ASSISTANT_EMBEDDING_MODEL to the model the index was built with, or run "
        "`career-assistant ingest --rebuild` to embed every essay again with this one (for "
        "everyone who shares the index)."
    )


def stamped(meta: Mapping[str, Any] | None, model: Model) -> dict[str, Any]:
    """The metadata after a commit by ``model``: a new version, the model recorded.

    Chroma replaces a collection's metadata as a whole, so other keys are carried over.
    The version is a nanosecond clock, not a counter: two machines committing at once
    each write a different value without a read-increment-write race, and readers only
    ever compare versions for equality.
    """
    previous = version_of(meta)
    return {
        **dict(meta or {}),
        VERSION: max(time.time_ns(), previous + 1),
        FINGERPRINT: model.fingerprint,
        MODEL: model.name,
        BACKEND: model.backend,
    }
