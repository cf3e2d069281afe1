"""cl100k_base from the rank file shipped as package data, with the network cut off.

``tiktoken.get_encoding`` downloads its rank file on first use; ours must not. The
cached encoding is cleared before the offline test so that it is really built
while sockets are blocked, not reused from an earlier test.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
import tiktoken
from pytest_socket import SocketBlockedError

from assistant import tokens
from assistant.tokens import count_tokens, get_encoding


@pytest.fixture
def fresh_encoding() -> Iterator[None]:
    """Forget the cached encoding before and after, so each test builds its own."""
    get_encoding.cache_clear()
    yield
    get_encoding.cache_clear()


@pytest.fixture
def no_tiktoken_download(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly if anything reaches for tiktoken's downloading loader."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("tiktoken.get_encoding would download its rank file")

    monkeypatch.setattr(tiktoken, "get_encoding", refuse)
    monkeypatch.setattr(tiktoken.registry, "get_encoding", refuse)


@pytest.mark.disable_socket
@pytest.mark.filterwarnings("ignore:A test tried to use socket.socket")  # our own probe below
@pytest.mark.usefixtures("fresh_encoding", "no_tiktoken_download")
def test_encoding_builds_and_counts_offline() -> None:
    with pytest.raises(SocketBlockedError):  # the network really is cut off
        socket.socket()
    enc = get_encoding()
    assert enc.name == "cl100k_base"
    assert enc.encode("hello world") == [15339, 1917]
    assert count_tokens("hello world") == 2
    assert get_encoding() is enc  # built once, then cached


def test_known_ids() -> None:
    enc = get_encoding()
    assert enc.encode("hello world") == [15339, 1917]
    assert enc.decode([15339, 1917]) == "hello world"
    # Every special token of cl100k_base, at its published id.
    for text, token_id in tokens._SPECIAL_TOKENS.items():
        assert enc.encode(text, allowed_special="all") == [token_id]
    assert enc.max_token_value == 100276
    assert enc.n_vocab == 100277


@pytest.mark.parametrize(
    "text",
    [
        "naïve café — déjà vu",
        "日本語のテキストと한국어",
        "emoji 🚀👩‍💻 and a flag 🇳🇿",
        "tabs\tand\r\nnewlines\n\n  spaces  ",
        "math ∑ x² ≤ ∞, arrows → ←",
    ],
)
def test_unicode_round_trip(text: str) -> None:
    enc = get_encoding()
    ids = enc.encode(text)
    assert enc.decode(ids) == text
    assert count_tokens(text) == len(ids) > 0


def test_special_token_text_is_counted_as_plain_text() -> None:
    text = "an essay quoting <|endoftext|> and <|fim_prefix|> literally"
    # tiktoken's own default raises on such text; ours counts it like any other.
    with pytest.raises(ValueError, match="disallowed special token"):
        get_encoding().encode(text)
    ids = get_encoding().encode(text, disallowed_special=())
    assert count_tokens(text) == len(ids)
    assert not set(ids) & set(tokens._SPECIAL_TOKENS.values())
    assert count_tokens("<|endoftext|>") > 1  # its characters, not the one special token


def test_empty_string_has_no_tokens() -> None:
    assert count_tokens("") == 0
    assert get_encoding().encode("") == []


def test_longer_text_has_more_tokens() -> None:
    short = count_tokens("Career advice.")
    assert 0 < short < count_tokens("Career advice, " * 50)


@pytest.mark.usefixtures("fresh_encoding")
def test_corrupt_rank_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # A rank file that does not hash to the published value must not build an encoding
    # that silently miscounts.
    monkeypatch.setattr(tokens, "RANK_FILE_SHA256", "0" * 64)
    with pytest.raises(RuntimeError, match="sha256 mismatch"):
        get_encoding()
