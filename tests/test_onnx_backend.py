"""The ONNX Runtime backend: the same vectors as torch, a query path without torch, and an
export that is made once, checked once, and replaced when it is damaged.

One ingest of corpus/ per session makes the export and its check (``onnx_data``); the
tests that damage an export work on hard-linked copies of it.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings, load_settings
from assistant.errors import ConfigError, IndexModelMismatchError
from assistant.ingest import Ingester
from assistant.search import ChunkIndex, LocalEmbeddings, PassageRetriever, split_units
from assistant.search.backend_check import ONNX_FILE, RECORD_FILE, cache_folder
from assistant.search.embeddings import default_model_path
from assistant.search.onnx_embeddings import OnnxEncoder
from tests.conftest import CORPUS, REPO

pytestmark = pytest.mark.slow

QUESTION = "How do I build a portfolio for an AI career?"


def _settings(data: Path, **kw: object) -> Settings:
    return Settings(data_dir=data, corpus=(CORPUS,), **kw)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def onnx_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data dir where `ingest` of corpus/ (backend auto, no export yet) ran: it must
    leave the index, the export and a passed check behind."""
    data = tmp_path_factory.mktemp("onnx") / "data"
    emb = LocalEmbeddings(_settings(data))
    report = Ingester(_settings(data), embeddings=emb).run([CORPUS])
    assert report.chunks_embedded > 0
    return data


def _export_dir(data: Path) -> Path:
    return cache_folder(data, LocalEmbeddings(_settings(data)).fingerprint)


def _copy_cache(src: Path, dst: Path) -> Path:
    """The export of ``src`` in a fresh data dir ``dst`` (hard links: no 90 MB copy)."""
    target = _export_dir(dst)
    shutil.copytree(_export_dir(src), target, copy_function=os.link)
    return target


def test_ingest_exports_the_model_and_records_a_passed_check(onnx_data: Path) -> None:
    folder = _export_dir(onnx_data)
    record = json.loads((folder / RECORD_FILE).read_text())
    assert record["passed"] is True, record
    assert record["cosine_min"] >= 0.9999 and record["top5_overlap"] >= 0.99
    assert record["export_bytes"] == (folder / ONNX_FILE).stat().st_size
    assert LocalEmbeddings(_settings(onnx_data)).backend.startswith("onnxruntime")


def test_onnx_vectors_match_torch_on_the_corpus_chunks(
    onnx_data: Path, embeddings: LocalEmbeddings
) -> None:
    emb = LocalEmbeddings(_settings(onnx_data, embedding_backend="onnx"))
    index = ChunkIndex(_settings(onnx_data), emb, create=False)
    try:
        chunks = [c.embed_text for c in index.all_chunks()]
    finally:
        index.close()
    units = [u.text for text in chunks for u in split_units(text)]
    odd = ["", "   ", "ünïcödé — “quotes” 💼", "word " * 600, QUESTION.upper()]
    texts = chunks + units[:200] + odd
    onnx = emb.embed_array(texts, batch_size=16)
    torch = embeddings.model.encode(texts, batch_size=16, normalize_embeddings=True)
    cosine = (onnx * torch).sum(axis=1)
    assert len(chunks) >= 10 and onnx.shape == torch.shape
    assert cosine.min() >= 0.9999, [texts[i][:60] for i in np.argsort(cosine)[:3]]
    assert emb.backend_kind == "onnx"


PROBE = """
import json, sys
from pathlib import Path
from assistant.config import load_settings
from assistant.answer import Assistant
settings = load_settings().replace(data_dir=Path(sys.argv[1]), corpus=(Path(sys.argv[2]),))
bot = Assistant.from_settings(settings)
answer = bot.ask(sys.argv[3])
print(json.dumps({
    "backend": bot.embeddings.backend,
    "cited": len(answer.citations),
    "loaded": sorted(m for m in ("torch", "sentence_transformers", "transformers")
                     if m in sys.modules),
}))
"""

CLI_PROBE = """
import atexit, json, sys
from assistant.apps import main
heavy = ("torch", "sentence_transformers", "transformers")
atexit.register(lambda: print("LOADED", json.dumps([m for m in heavy if m in sys.modules])))
sys.argv = ["career-assistant", *sys.argv[1:]]
sys.exit(main())
"""


def _run(code: str, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
        env={**os.environ, **(env or {})},
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_a_first_answer_in_a_fresh_process_never_imports_torch(onnx_data: Path) -> None:
    out = json.loads(_run(PROBE, str(onnx_data), str(CORPUS), QUESTION).splitlines()[-1])
    assert out["loaded"] == [], out
    assert out["backend"].startswith("onnxruntime") and out["cited"] > 0, out

    cli = _run(CLI_PROBE, "ask", QUESTION, "--json", "--data-dir", str(onnx_data))
    loaded = cli.rsplit("LOADED", 1)[1]
    assert json.loads(loaded) == [], cli[-500:]
    assert json.loads(cli.rsplit("LOADED", 1)[0])["citations"]

    # The probe itself can see torch: the same answer on the torch backend loads it.
    env = {"CAREER_ASSISTANT_EMBEDDING_BACKEND": "torch"}
    out = json.loads(_run(PROBE, str(onnx_data), str(CORPUS), QUESTION, env=env).splitlines()[-1])
    assert "torch" in out["loaded"] and out["backend"].startswith("sentence-transformers")


def _other_weights(tmp_path: Path) -> Path:
    """The model with a few bytes of its weights changed (a fine-tuned copy, say)."""
    copy = tmp_path / "other-model"
    shutil.copytree(default_model_path(), copy)
    weights = copy / "model.safetensors"
    with weights.open("r+b") as fh:
        fh.seek(weights.stat().st_size - 64)
        fh.write(bytes(64))
    return copy


def test_another_model_is_refused_and_the_same_model_on_another_backend_is_not(
    onnx_data: Path, tmp_path: Path
) -> None:
    ranked = {}
    for backend in ("torch", "onnx"):
        s = _settings(onnx_data, embedding_backend=backend)
        retriever = PassageRetriever.from_settings(s)
        try:
            hits = retriever.hits(QUESTION, mode="dense")
            assert retriever.index.embeddings.backend_kind == backend
        finally:
            retriever.index.close()
        ranked[backend] = [h.chunk.id for h in hits]
    assert ranked["torch"] == ranked["onnx"]

    other = _settings(onnx_data, embedding_model=str(_other_weights(tmp_path)))
    emb = LocalEmbeddings(other)
    # Its export would live elsewhere: the one made for MiniLM is never loaded for it.
    assert emb.export_folder != _export_dir(onnx_data) and emb.backend_kind == "torch"
    with pytest.raises(IndexModelMismatchError, match="embedding model"):
        PassageRetriever.from_settings(other, emb).hits(QUESTION)


def test_a_pooling_the_onnx_backend_does_not_implement_falls_back_to_torch(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    model = tmp_path / "max-pooled"
    model.mkdir()
    for item in default_model_path().iterdir():
        if item.name != "1_Pooling":
            (model / item.name).symlink_to(item)
    (model / "1_Pooling").mkdir()
    pooling = json.loads((default_model_path() / "1_Pooling" / "config.json").read_text())
    pooling.update(pooling_mode_mean_tokens=False, pooling_mode_max_tokens=True)
    (model / "1_Pooling" / "config.json").write_text(json.dumps(pooling))
    s = _settings(tmp_path / "data", embedding_model=str(model), embedding_backend="onnx")
    with caplog.at_level(logging.WARNING):
        assert LocalEmbeddings(s).backend_kind == "torch"
    assert "max_tokens" in caplog.text and "runs on torch" in caplog.text


def test_the_backend_setting_is_validated() -> None:
    assert (
        load_settings(env={"CAREER_ASSISTANT_EMBEDDING_BACKEND": "onnx"}).embedding_backend
        == "onnx"
    )
    assert Settings().embedding_backend == "auto"
    with pytest.raises(ConfigError, match="embedding_backend must be auto, torch or onnx"):
        load_settings(env={"CAREER_ASSISTANT_EMBEDDING_BACKEND": "openvino"})


def test_prepare_checks_an_unchecked_export_on_the_given_texts(
    onnx_data: Path, tmp_path: Path
) -> None:
    """What ingest calls when it embedded nothing new but the export has no verdict yet."""
    folder = _copy_cache(onnx_data, tmp_path / "data")
    (folder / RECORD_FILE).unlink()
    emb = LocalEmbeddings(_settings(tmp_path / "data"))
    assert emb.needs_check and emb.backend_kind == "torch"
    texts = [u.text for u in split_units(CORPUS.joinpath("building-an-ai-career.md").read_text())]
    line = emb.prepare(texts[:80])
    assert "passed" in line and emb.backend_kind == "onnx" and not emb.needs_check
    assert json.loads((folder / RECORD_FILE).read_text())["passed"] is True


def test_a_failed_check_keeps_auto_on_torch(onnx_data: Path, tmp_path: Path) -> None:
    folder = _copy_cache(onnx_data, tmp_path / "data")
    record = json.loads((folder / RECORD_FILE).read_text())
    (folder / RECORD_FILE).unlink()  # a hard link: never write through it
    (folder / RECORD_FILE).write_text(json.dumps({**record, "passed": False}))
    assert LocalEmbeddings(_settings(tmp_path / "data")).backend_kind == "torch"


@pytest.mark.parametrize("damage", ["half-written", "garbage", "missing"])
def test_a_damaged_export_is_made_again_not_a_crash(
    onnx_data: Path, tmp_path: Path, damage: str
) -> None:
    folder = _copy_cache(onnx_data, tmp_path / "data")
    onnx_file = folder / ONNX_FILE
    good = onnx_file.read_bytes()
    onnx_file.unlink()  # a hard link: never write through it
    if damage == "half-written":
        onnx_file.write_bytes(good[: len(good) // 2])
    elif damage == "garbage":  # the right size, so only loading it tells
        onnx_file.write_bytes(bytes(len(good)))
    (folder / ".model.onnx.killed.tmp").write_bytes(b"left by a killed export")

    emb = LocalEmbeddings(_settings(tmp_path / "data"))
    vectors = emb.embed_array([QUESTION, "negotiate an offer"])
    assert emb.backend_kind == "onnx" and vectors.shape == (2, 384)
    assert onnx_file.stat().st_size == len(good)
    assert not list(folder.glob("*.tmp"))
    OnnxEncoder(emb.model_path, onnx_file)  # loads
