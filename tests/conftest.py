"""Shared fixtures: the real embedding model, loaded once, and settings in temp dirs."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.embeddings import LocalEmbeddings

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"
CLI = Path(sys.executable).parent / "career-assistant"
SHARED = Path(os.environ.get("CAREER_ASSISTANT_SHARED", REPO.parent / "shared"))
SHARED_CORPORA = SHARED / "corpora"


def shared_essays() -> list[Path]:
    return sorted(SHARED_CORPORA.glob("*/*.md")) if SHARED_CORPORA.is_dir() else []


needs_shared = pytest.mark.skipif(
    not SHARED_CORPORA.is_dir(),
    reason=f"{SHARED_CORPORA} is absent: the shared essay corpora live beside the repo",
)


@pytest.fixture(scope="session")
def embeddings() -> LocalEmbeddings:
    """The real all-MiniLM-L6-v2, shared by every test (loading takes seconds)."""
    emb = LocalEmbeddings(Settings())
    _ = emb.model
    return emb


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", corpus=(CORPUS,))


@pytest.fixture
def corpus_copy(tmp_path: Path) -> Iterator[Path]:
    """A writable copy of corpus/ that a test may edit."""
    dst = tmp_path / "essays"
    dst.mkdir()
    for src in CORPUS.glob("*.md"):
        if src.name.lower() != "readme.md":
            (dst / src.name).write_bytes(src.read_bytes())
    yield dst
