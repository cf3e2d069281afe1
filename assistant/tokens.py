"""tiktoken without the network: ``cl100k_base`` built from a rank file we ship.

``tiktoken.get_encoding`` downloads its rank file on first use, which fails on an
offline machine. The same file (sha256 below, as published by OpenAI; taken from
the npm package ``tiktoken@1.0.22``) ships gzipped as package data, and the
``Encoding`` is built from it directly. Used for LLM prompt budgets and usage.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
from importlib import resources

import tiktoken

RANK_FILE = "cl100k_base.tiktoken.gz"
RANK_FILE_SHA256 = "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7"
# The split pattern and special tokens of cl100k_base, as in tiktoken_ext.openai_public.
_PAT_STR = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_SPECIAL_TOKENS = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}


@functools.cache
def get_encoding() -> tiktoken.Encoding:
    """The cl100k_base encoding, loaded from package data and checked by hash."""
    raw = gzip.decompress(resources.files("assistant.data").joinpath(RANK_FILE).read_bytes())
    if hashlib.sha256(raw).hexdigest() != RANK_FILE_SHA256:
        raise RuntimeError(
            f"assistant/data/{RANK_FILE} is corrupt (sha256 mismatch); reinstall career-assistant."
        )
    ranks = {
        base64.b64decode(token): int(rank)
        for token, rank in (line.split() for line in raw.splitlines() if line)
    }
    return tiktoken.Encoding(
        name="cl100k_base",
        pat_str=_PAT_STR,
        mergeable_ranks=ranks,
        special_tokens=_SPECIAL_TOKENS,
    )


def count_tokens(text: str) -> int:
    """Tokens an OpenAI-style model would see; special-token text counts as plain text."""
    return len(get_encoding().encode(text, disallowed_special=()))
