"""Ingestion against the real model and a real embedded Chroma: incremental, safe, and
clear about bad files."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.errors import IngestBusyError
from assistant.ingest.pipeline import Ingester, ingest_lock
from assistant.search.embeddings import LocalEmbeddings
from assistant.search.index import ChunkIndex
from tests.conftest import CLI, CORPUS, SHARED_CORPORA, needs_shared, shared_essays


def run(settings: Settings, emb: LocalEmbeddings, *paths: Path, rebuild: bool = False):
    return Ingester(settings, embeddings=emb).run(list(paths) or None, rebuild=rebuild)


def index_ids(settings: Settings, emb: LocalEmbeddings, source: str | None = None) -> set[str]:
    index = ChunkIndex(settings, emb, create=False)
    if source is not None:
        return index.ids_for_source(source)
    got = index.collection.get(include=[])
    return set(got["ids"])


def test_seed_corpus_ingests_and_reingest_embeds_nothing(settings, embeddings):
    first = run(settings, embeddings)
    assert first.ok and first.added == 1 and first.problems == []
    assert first.chunks_embedded == first.chunks_in_index > 5

    again = run(settings, embeddings)
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 1)
    assert again.chunks_embedded == 0
    assert again.chunks_in_index == first.chunks_in_index


def test_reingest_with_touched_but_identical_file_is_unchanged(settings, embeddings, corpus_copy):
    run(settings, embeddings, corpus_copy)
    essay = next(corpus_copy.glob("*.md"))
    os.utime(essay, ns=(1, 1))  # new mtime, same bytes: hash decides
    report = run(settings, embeddings, corpus_copy)
    assert report.unchanged == 1 and report.chunks_embedded == 0


def test_edit_replaces_only_that_essays_changed_chunks(settings, embeddings, corpus_copy):
    (corpus_copy / "other.md").write_text(
        "# Other\n\nNegotiating salary is a skill you practise.\n"
    )
    run(settings, embeddings, corpus_copy)
    seed = corpus_copy / "building-an-ai-career.md"
    other_before = index_ids(settings, embeddings, "other.md")
    seed_before = index_ids(settings, embeddings, seed.name)

    text = seed.read_text()
    seed.write_text(text.replace("genuine curiosity", "relentless curiosity"))
    report = run(settings, embeddings, corpus_copy)

    assert (report.updated, report.added, report.unchanged) == (1, 0, 1)
    assert report.chunks_embedded == 1  # only the chunk holding the edited sentence
    assert report.chunks_removed == 1
    seed_after = index_ids(settings, embeddings, seed.name)
    assert len(seed_after - seed_before) == 1 and len(seed_before - seed_after) == 1
    assert index_ids(settings, embeddings, "other.md") == other_before


def test_edit_that_shifts_offsets_refreshes_metadata_of_kept_chunks(
    settings, embeddings, corpus_copy
):
    seed = corpus_copy / "building-an-ai-career.md"
    run(settings, embeddings, corpus_copy)
    text = seed.read_text()
    marker = "## Conclusion"
    seed.write_text(text.replace(marker, "A brand new paragraph about mentors.\n\n" + marker))
    run(settings, embeddings, corpus_copy)

    new_text = seed.read_text()
    index = ChunkIndex(settings, embeddings, create=False)
    got = index.collection.get(where={"source": seed.name}, include=["metadatas", "documents"])
    for meta, doc in zip(got["metadatas"], got["documents"], strict=True):
        last_word = doc.split()[-1].strip("*_")
        assert new_text[meta["start"] : meta["end"]].rstrip("*_ ").endswith(last_word)


def test_deleted_essay_chunks_are_removed(settings, embeddings, corpus_copy):
    extra = corpus_copy / "extra.md"
    extra.write_text("# Extra\n\nMentors help you see the next step in your career.\n")
    run(settings, embeddings, corpus_copy)
    assert index_ids(settings, embeddings, "extra.md")

    extra.unlink()
    report = run(settings, embeddings, corpus_copy)
    assert report.removed == 1 and report.chunks_removed >= 1
    assert index_ids(settings, embeddings, "extra.md") == set()
    assert index_ids(settings, embeddings, "building-an-ai-career.md")


def test_missing_path_fails_without_deleting_anything(settings, embeddings, corpus_copy, tmp_path):
    run(settings, embeddings, corpus_copy)
    before = index_ids(settings, embeddings)
    report = run(settings, embeddings, tmp_path / "no-such-folder")
    assert not report.ok and report.missing_paths
    assert "path does not exist" in str(report.problems[0])
    assert index_ids(settings, embeddings) == before


def test_rebuild_reembeds_everything(settings, embeddings):
    first = run(settings, embeddings)
    report = run(settings, embeddings, rebuild=True)
    assert report.added == 1 and report.chunks_embedded == first.chunks_in_index


def test_changed_chunk_size_triggers_rebuild(settings, embeddings):
    run(settings, embeddings)
    smaller = settings.replace(chunk_tokens=64)
    report = run(smaller, embeddings)
    assert any("rebuilding" in n for n in report.notes)
    assert report.added == 1 and report.chunks_in_index > 12


def test_lost_manifest_is_rebuilt_from_the_index(settings, embeddings):
    run(settings, embeddings)
    for manifest in settings.data_dir.glob("manifest-*.json"):
        manifest.unlink()
    report = run(settings, embeddings)
    assert any("rebuilt from the index" in n for n in report.notes)
    assert report.chunks_embedded == 0 and report.unchanged == 1


def test_same_name_from_two_roots_is_reported(settings, embeddings, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for folder, word in ((a, "resume"), (b, "interview")):
        folder.mkdir()
        (folder / "notes.md").write_text(f"# Notes\n\nAdvice about the {word}.\n")
    report = run(settings, embeddings, a, b)
    assert report.added == 1
    assert any("same name" in str(p) for p in report.problems)


def test_second_ingest_on_same_data_dir_is_refused(settings):
    with (
        ingest_lock(settings.data_dir),
        pytest.raises(IngestBusyError, match="wait"),
        ingest_lock(settings.data_dir),
    ):
        pass


# -- bad input: one clear line each, ingestion goes on ------------------------------


def _bad_corpus(root: Path) -> dict[str, str]:
    """Files that must each be skipped with a reason; returns name -> expected phrase."""
    root.mkdir()
    (root / "good.md").write_text(
        "# Good\n\nAsk for the salary range before the first interview.\n"
    )
    (root / "empty.md").write_text("")
    (root / "blank.txt").write_text("  \n\n \t\n")
    (root / "binary.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (root / "latin1.md").write_bytes("# Café\n\nUn résumé soigné.\n".encode("latin-1"))
    (root / "huge.md").write_bytes(b"# Huge\n\n" + b"word " * (21 * 1024 * 1024 // 5))
    (root / "only-markup.md").write_text("---\ntitle: x\n---\n<InDocAd />\n<br/>\n")
    (root / "broken-front-matter.md").write_text(
        "---\ntitle: [unclosed\ndate: :\n---\n\n# Still Readable\n\nNegotiate the offer.\n"
    )
    loop = root / "loop"
    loop.mkdir()
    (loop / "again").symlink_to(root, target_is_directory=True)
    (root / "self.md").symlink_to(root / "self.md")
    (root / "dangling.md").symlink_to(root / "nowhere.md")
    return {
        "empty.md": "empty file",
        "blank.txt": "empty file",
        "binary.md": "binary file",
        "latin1.md": "not valid UTF-8",
        "huge.md": "over the 5.0 MB limit",
        "only-markup.md": "no visible text",
        "broken-front-matter.md": "front matter is not valid YAML",
        "again": "symlink loop",
        "self.md": "symlink loop",
        "dangling.md": "broken symlink",
    }


def test_each_bad_file_gets_one_clear_line_and_ingestion_goes_on(settings, embeddings, tmp_path):
    root = tmp_path / "bad"
    expected = _bad_corpus(root)
    report = run(settings, embeddings, root)

    assert report.ok  # good.md and the readable part of broken-front-matter.md got in
    assert report.added == 2
    lines = [str(p) for p in report.problems]
    for name, phrase in expected.items():
        matching = [line for line in lines if Path(line.split(": ")[0]).name == name]
        assert matching, f"no problem line for {name}: {lines}"
        assert any(phrase in line for line in matching), (name, matching)
    assert all("\n" not in line for line in lines)


def test_only_bad_files_means_failure(settings, embeddings, tmp_path):
    root = tmp_path / "bad"
    root.mkdir()
    (root / "empty.md").write_text("")
    report = run(settings, embeddings, root)
    assert not report.ok and report.added == 0


@pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to drop the capability that lets root read any file",
)
def test_unreadable_file_is_skipped_by_the_real_cli(tmp_path):
    """chmod 000 means nothing to root, so the CLI runs without CAP_DAC_OVERRIDE."""
    root = tmp_path / "essays"
    root.mkdir()
    (root / "ok.md").write_text("# Ok\n\nKeep a brag document of your wins.\n")
    secret = root / "secret.md"
    secret.write_text("# Secret\n\nHidden.\n")
    secret.chmod(0o000)
    caps = "-dac_override,-dac_read_search"
    proc = subprocess.run(
        [
            "setpriv",
            f"--bounding-set={caps}",
            f"--inh-caps={caps}",
            str(CLI),
            "ingest",
            str(root),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert f"{secret}: permission denied" in proc.stderr
    assert "added 1" in proc.stdout


@needs_shared
def test_shared_corpora_ingest_fully(shared_index, embeddings):
    settings, report = shared_index
    assert report.ok and report.problems == []
    assert report.added == 1 + len(shared_essays())
    assert report.chunks_in_index > 300
    again = run(settings, embeddings, CORPUS, SHARED_CORPORA)
    assert again.chunks_embedded == 0 and again.unchanged == report.added
