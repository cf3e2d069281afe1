"""Stage 1, essays to index: find essay files, parse Markdown, chunk, embed and write.

Public entry points: :class:`Ingester` (incremental, kill-safe ingestion), its
:class:`IngestReport`, and the file discovery used by benchmarks
(:func:`discover`, :func:`read_essay`, :class:`Candidate`, :class:`Problem`).
"""

from assistant.ingest.discover import Candidate, Problem, discover, read_essay
from assistant.ingest.pipeline import Ingester
from assistant.ingest.report import IngestReport

__all__ = ["Candidate", "IngestReport", "Ingester", "Problem", "discover", "read_essay"]
