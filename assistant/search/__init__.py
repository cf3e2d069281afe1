"""Stage 2, question to passages: the embedding model, the Chroma index, BM25 and the
hybrid retriever (a LangChain ``BaseRetriever``).

Public entry points: :class:`LocalEmbeddings`, :class:`ChunkIndex`,
:class:`PassageRetriever` and its :class:`Retrieved` result, and the word tokenizers
the later stages share (:func:`terms`, :func:`plain_words`, ``STOPWORDS``).
"""

from assistant.search.embeddings import LocalEmbeddings, cpu_has_native_bf16
from assistant.search.index import ChunkIndex, chroma_server_command
from assistant.search.lexical import STOPWORDS, plain_words, terms
from assistant.search.retrieval import PassageRetriever, Retrieved

__all__ = [
    "STOPWORDS",
    "ChunkIndex",
    "LocalEmbeddings",
    "PassageRetriever",
    "Retrieved",
    "chroma_server_command",
    "cpu_has_native_bf16",
    "plain_words",
    "terms",
]
