"""Stage 1, essays to index: find essay files, parse Markdown, chunk, embed and write.

Public entry points: :class:`Ingester` (incremental, kill-safe ingestion), its
:class:`IngestReport`, and the file discovery used by benchmarks
(:func:`discover`, :func:`read_essay`, :class:`Candidate`, :class:`Problem`), and
:func:`body_start`, where an essay's text starts after its front matter (the viewer).
"""

from assistant.ingest.discover import Candidate, Problem, discover, read_essay
from assistant.ingest.front_matter import body_start
from assistant.ingest.pipeline import Ingester
from assistant.ingest.report import IngestReport

__all__ = [
    "Candidate",
    "IngestReport",
    "Ingester",
    "Problem",
    "body_start",
    "discover",
    "read_essay",
]
