"""Several app processes share one `chroma run` server (#12 item 10).

An edit made by another machine that keeps the number of chunks must reach a serving
app without a restart, and a machine whose embedding model differs from the one the
shared index was built with must be refused, never mix its vectors in; another backend
or folder of the same model weights stays accepted."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings
from assistant.search import ChunkIndex, chroma_server_command
from assistant.search.embeddings import default_model_path
from tests.conftest import CLI, CORPUS, free_port, running_server, web_app

ESSAY = "building-an-ai-career.md"
QUESTION = "What makes an AI practitioner valuable?"


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory) -> Iterator[str]:
    """One real `chroma run` on 127.0.0.1 for the module; each test uses its own collection."""
    chroma = CLI.parent / "chroma"
    if not chroma.exists():
        pytest.skip(f"{chroma} missing: chromadb's server CLI is not installed")
    top = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    with running_server(chroma_server_command(top / "db", port), port, top / "chroma.log", 60):
        yield f"http://127.0.0.1:{port}"


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), *args], capture_output=True, text=True, timeout=600, env={**os.environ, **env}
    )


def server_index(chroma_url: str, collection: str, tmp_path: Path, embeddings) -> ChunkIndex:
    settings = Settings(data_dir=tmp_path / "probe", chroma_url=chroma_url, collection=collection)
    return ChunkIndex(settings, embeddings, create=False)


def chunks_in_index(stdout: str) -> int:
    found = re.search(r"chunks: (\d+) in index", stdout)
    assert found, stdout
    return int(found.group(1))


def test_an_edit_elsewhere_that_keeps_the_chunk_count_reaches_a_serving_app(
    chroma_url: str, tmp_path: Path, embeddings
) -> None:
    env = {"CAREER_ASSISTANT_CHROMA_URL": chroma_url, "CAREER_ASSISTANT_COLLECTION": "edits"}
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    essay = corpus / ESSAY
    shutil.copy(CORPUS / ESSAY, essay)
    machine_a = str(tmp_path / "machine-a")
    first = cli("ingest", str(corpus), "--data-dir", machine_a, env=env)
    assert first.returncode == 0, first.stderr
    count = chunks_in_index(first.stdout)

    # Machine B: a serving app with its own data dir, sharing only the Chroma server.
    with web_app(tmp_path / "machine-b", corpus, env) as url:
        before = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=120).json()
        assert before["citations"], before
        cited = before["citations"][0]

        # Machine A fixes the case of one word in the cited passage: same word pieces for
        # an uncased model, so the same number of chunks, but a new chunk id.
        text = essay.read_text(encoding="utf-8")
        word = max(re.findall(r"[a-z]{5,}", cited["quote"]), key=len)
        at = text.index(word, cited["start"])
        essay.write_text(text[:at] + word.upper() + text[at + len(word) :], encoding="utf-8")
        edit = cli("ingest", str(corpus), "--data-dir", machine_a, env=env)
        assert edit.returncode == 0, edit.stderr
        assert "updated 1" in edit.stdout and chunks_in_index(edit.stdout) == count, edit.stdout

        index = server_index(chroma_url, "edits", tmp_path, embeddings)
        try:
            ids_now = {c.id for c in index.all_chunks()}
        finally:
            index.close()
        assert cited["chunk_id"] not in ids_now  # the edit really replaced that chunk

        after = httpx.post(f"{url}/api/ask", json={"question": QUESTION}, timeout=120).json()
        assert after["citations"], after
        stale = [c["chunk_id"] for c in after["citations"] if c["chunk_id"] not in ids_now]
        assert not stale, f"the app answered from chunks the index no longer holds: {stale}"


def other_weights(tmp_path: Path) -> Path:
    """A copy of the model whose weights differ in a few bytes (a fine-tuned copy, say)."""
    copy = tmp_path / "other-model"
    shutil.copytree(default_model_path(), copy)
    weights = copy / "model.safetensors"
    size = weights.stat().st_size
    with weights.open("r+b") as fh:
        fh.seek(size - 64)
        fh.write(bytes(64))
    return copy


def same_weights(tmp_path: Path) -> Path:
    """The same model under another folder name, as another machine might install it."""
    link = tmp_path / "my-minilm"
    link.symlink_to(default_model_path(), target_is_directory=True)
    return link


def test_another_model_is_refused_and_another_backend_of_the_same_one_is_not(
    chroma_url: str, tmp_path: Path, embeddings
) -> None:
    env = {"CAREER_ASSISTANT_CHROMA_URL": chroma_url, "CAREER_ASSISTANT_COLLECTION": "models"}
    built = cli("ingest", str(CORPUS), "--data-dir", str(tmp_path / "a"), env=env)
    assert built.returncode == 0, built.stderr
    count = chunks_in_index(built.stdout)

    index = server_index(chroma_url, "models", tmp_path, embeddings)
    try:
        stamp = index.stamp()
    finally:
        index.close()
    assert stamp["embedding_model"] == "all-MiniLM-L6-v2"
    assert stamp["embedding_fingerprint"] == embeddings.fingerprint
    assert "float32" in str(stamp["embedding_backend"])

    # Machine C has another model and a new essay to add: refused before it writes.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "new.md").write_text("# Offers\n\nAsk for the salary band before you negotiate.\n")
    other = {**env, "CAREER_ASSISTANT_EMBEDDING_MODEL": str(other_weights(tmp_path))}
    for args in (["ingest", str(corpus)], ["search", "salary band"]):
        res = cli(*args, "--data-dir", str(tmp_path / "c"), env=other)
        assert res.returncode == 1, (args, res.stdout, res.stderr)
        assert "Traceback" not in res.stderr and len(res.stderr.strip().splitlines()) == 1
        assert "embedding model" in res.stderr and "all-MiniLM-L6-v2" in res.stderr, res.stderr
    index = server_index(chroma_url, "models", tmp_path, embeddings)
    try:
        assert index.count() == count  # nothing of machine C's was written
    finally:
        index.close()

    # Machine D has the same weights under another name, run in bfloat16: accepted.
    same = {
        **env,
        "CAREER_ASSISTANT_EMBEDDING_MODEL": str(same_weights(tmp_path)),
        "CAREER_ASSISTANT_EMBEDDING_DTYPE": "bfloat16",
    }
    found = cli(
        "search", "portfolio projects", "--json", "--data-dir", str(tmp_path / "d"), env=same
    )
    assert found.returncode == 0, found.stderr
    assert ESSAY in found.stdout
    again = cli("ingest", str(CORPUS), "--data-dir", str(tmp_path / "d"), env=same)
    assert again.returncode == 0, again.stderr
    assert "embedded 0" in again.stdout, again.stdout
