"""Stage 2, question to passages: the embedding model, the Chroma index, BM25 and the
hybrid retriever (a LangChain ``BaseRetriever``).

Public entry points: :class:`LocalEmbeddings`, :class:`ChunkIndex`,
:class:`PassageRetriever` and its :class:`Retrieved` result; and what the later
stages share: the word tokenizers (:func:`terms`, :func:`plain_words`, ``STOPWORDS``)
and passage units (:func:`split_units`, :func:`split_sentences`, :class:`UnitVectors`).
"""

from assistant.search.embeddings import LocalEmbeddings, cpu_has_native_bf16
from assistant.search.index import ChunkIndex, chroma_server_command
from assistant.search.lexical import (
    STOPWORDS,
    acronym_singular,
    plain_words,
    stem,
    term_words,
    terms,
)
from assistant.search.outline import asks_for_advice, weighs_options
from assistant.search.quantities import asked_quantity, measure_words, states_quantity
from assistant.search.retrieval import PassageRetriever
from assistant.search.retrieved import Retrieved, TermUsage
from assistant.search.screening import INSTRUCTIONS_FLAG, instructs_assistant, without_instructions
from assistant.search.siblings import Section, section_of, siblings_not_asked
from assistant.search.tables import (
    TABLE_ROW,
    TABLE_RULE,
    read_tables,
    row_of_reading,
    table_row_headers,
)
from assistant.search.units import (
    Unit,
    UnitVectors,
    chunk_unit_texts,
    complete_sentences,
    list_runs,
    list_spans,
    list_text,
    pieces,
    split_sentences,
    split_units,
    unit_cache_file,
)
from assistant.search.vocabulary import LARGE_COLLECTION

__all__ = [
    "INSTRUCTIONS_FLAG",
    "LARGE_COLLECTION",
    "STOPWORDS",
    "TABLE_ROW",
    "TABLE_RULE",
    "ChunkIndex",
    "LocalEmbeddings",
    "PassageRetriever",
    "Retrieved",
    "Section",
    "TermUsage",
    "Unit",
    "UnitVectors",
    "acronym_singular",
    "asked_quantity",
    "asks_for_advice",
    "chroma_server_command",
    "chunk_unit_texts",
    "complete_sentences",
    "cpu_has_native_bf16",
    "instructs_assistant",
    "list_runs",
    "list_spans",
    "list_text",
    "measure_words",
    "pieces",
    "plain_words",
    "read_tables",
    "row_of_reading",
    "section_of",
    "siblings_not_asked",
    "split_sentences",
    "split_units",
    "states_quantity",
    "stem",
    "table_row_headers",
    "term_words",
    "terms",
    "unit_cache_file",
    "weighs_options",
    "without_instructions",
]
