"""Ingest writes per commit group, not per file: one manifest save, one upsert, one
lookup of stored ids and one commit for each group (issue 11), and a killed ingest
still loses at most one group. Real model, real embedded Chroma, real CLI for the kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from chromadb.api.models.Collection import Collection

from assistant.config import Settings
from assistant.ingest.manifest import Manifest
from assistant.ingest.pipeline import Ingester
from assistant.search.embeddings import LocalEmbeddings
from assistant.search.index import ChunkIndex
from assistant.search.units import UnitVectors, chunk_unit_texts, unit_cache_file
from tests.conftest import CLI, kill_ingest_after

FILES = 12


def write_essays(root: Path, n: int, word: str = "Note") -> None:
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (root / f"essay-{i:02d}.md").write_text(
            f"---\ntitle: Short essay {i}\n---\n\nAsk for the salary range before you "
            f"name a number. Practise the call with a friend. {word} {i}.\n"
        )


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """Counts of the writes and lookups an ingest makes (each call still runs for real)."""
    seen: Counter[str] = Counter()

    def spy(owner: Any, name: str, label: Callable[..., str | None]) -> None:
        real = getattr(owner, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            what = label(*args, **kwargs)
            if what:
                seen[what] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(owner, name, counted)

    spy(Manifest, "save", lambda *a, **k: "manifest save")
    spy(ChunkIndex, "commit", lambda *a, **k: "commit")
    spy(Collection, "upsert", lambda *a, **k: "upsert")
    spy(Collection, "delete", lambda *a, **k: "delete")
    spy(Collection, "get", lambda *a, **k: "lookup by source" if k.get("where") else None)
    yield seen


def test_one_manifest_save_upsert_lookup_and_commit_per_group(
    tmp_path: Path, embeddings: LocalEmbeddings, calls: Counter[str]
) -> None:
    corpus = tmp_path / "essays"
    write_essays(corpus, FILES)
    settings = Settings(data_dir=tmp_path / "data", corpus=(corpus,), commit_every=1000)
    report = Ingester(settings, embeddings=embeddings).run([corpus])
    assert report.added == FILES and report.chunks_in_index == FILES
    # One group: the manifest is saved when loaded, after planning, and once for the group.
    assert calls["manifest save"] == 3
    assert (calls["upsert"], calls["lookup by source"], calls["commit"]) == (1, 1, 1)


def test_edits_and_removals_are_written_per_group(
    tmp_path: Path, embeddings: LocalEmbeddings, monkeypatch: pytest.MonkeyPatch
) -> None:
    corpus = tmp_path / "essays"
    write_essays(corpus, FILES)
    settings = Settings(data_dir=tmp_path / "data", corpus=(corpus,), commit_every=5)
    Ingester(settings, embeddings=embeddings).run([corpus])
    write_essays(corpus, FILES - 4, word="Remark")  # 8 edited, 4 removed
    for i in range(FILES - 4, FILES):
        (corpus / f"essay-{i:02d}.md").unlink()

    seen: Counter[str] = Counter()
    for owner, name in ((Manifest, "save"), (ChunkIndex, "commit")):
        real = getattr(owner, name)

        def counted(*a: Any, _real: Any = real, _name: str = name, **k: Any) -> Any:
            seen[_name] += 1
            return _real(*a, **k)

        monkeypatch.setattr(owner, name, counted)
    report = Ingester(settings, embeddings=embeddings).run([corpus])
    assert (report.updated, report.removed) == (FILES - 4, 4)
    assert report.chunks_removed == FILES  # 8 stale versions and 4 removed essays
    # 8 edits in groups of 5 chunks: 2 groups; the 4 removals: 1 commit together.
    assert seen["commit"] == 3
    assert seen["save"] == 2 + 1 + 2  # loaded, planned; removals; two groups
    index = ChunkIndex(settings, embeddings, create=False)
    texts = {c.text for c in index.all_chunks()}
    index.close()
    assert len(texts) == FILES - 4 and all("Remark" in t for t in texts)


def run_cli(*args: str, data: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), *args, "--data-dir", str(data)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
        env=env,
    )


def test_kill_loses_at_most_one_group_and_units_are_cached_after_the_next_run(
    tmp_path: Path, embeddings: LocalEmbeddings
) -> None:
    corpus, data = tmp_path / "essays", tmp_path / "data"
    write_essays(corpus, 60)
    env = {**os.environ, "CAREER_ASSISTANT_COMMIT_EVERY": "10"}
    indexed, returncode = kill_ingest_after(corpus, data, env, files=10)  # the first group
    assert returncode == -signal.SIGKILL, "ingest finished before it was killed"

    # Every file reported as indexed is in the saved manifest: nothing committed is lost.
    (manifest,) = data.glob("manifest-*.json")
    recorded = set(json.loads(manifest.read_text())["files"])
    assert set(indexed) <= recorded

    done = run_cli("ingest", str(corpus), data=data, env=env)
    assert "error" not in done.stderr.lower()
    # The units of every passage are cached, those of the killed run's groups included.
    settings = Settings(data_dir=data, corpus=(corpus,))
    index = ChunkIndex(settings, embeddings, create=False)
    chunks = index.all_chunks()
    index.close()
    assert len(chunks) == 60
    cache = UnitVectors(embeddings, unit_cache_file(data, embeddings))
    texts = [t for c in chunks for t in chunk_unit_texts(c)]
    assert cache.add(texts) == 0
