"""The console script, in-process (fast) where possible and as a subprocess for the
things only a real process shows (exit codes, stdin)."""

from __future__ import annotations

import json
import subprocess

import pytest

from assistant.apps.cli import main
from tests.conftest import CLI, CORPUS

JSON_KEYS = ["score", "source", "title", "heading", "start", "end", "text"]


@pytest.fixture
def ingested(settings, embeddings, capsys):
    assert main(["ingest", "--data-dir", str(settings.data_dir), "--corpus", str(CORPUS)]) == 0
    capsys.readouterr()
    return settings.data_dir


def test_ingest_prints_a_summary(settings, capsys):
    code = main(["ingest", str(CORPUS), "--data-dir", str(settings.data_dir)])
    out = capsys.readouterr().out
    assert code == 0
    assert "files: 1 (added 1, updated 0, removed 0, unchanged 0, skipped 0)" in out
    assert "chunks:" in out and " s" in out


def test_search_json_has_exactly_the_documented_keys(ingested, capsys):
    assert (
        main(["search", "theory and practice", "--json", "--k", "3", "--data-dir", str(ingested)])
        == 0
    )
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 3
    original = (CORPUS / "building-an-ai-career.md").read_text()
    for hit in hits:
        assert list(hit) == JSON_KEYS
        assert hit["source"] == "building-an-ai-career.md"
        assert hit["title"] == "Building an AI Career: Lessons from My Journey"
        assert 0 <= hit["start"] < hit["end"] <= len(original)
        first_word = hit["text"].split()[0].strip("*_")
        assert first_word in original[hit["start"] : hit["end"]]
    assert hits[0]["score"] >= hits[1]["score"] >= hits[2]["score"]


def test_search_text_output_names_source_heading_and_offsets(ingested, capsys):
    assert main(["search", "portfolio", "--data-dir", str(ingested), "--k", "1"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[1] ")
    assert "building-an-ai-career.md  chars " in out
    assert "Building a Portfolio That Stands Out" in out


def test_search_without_index_names_the_next_step(tmp_path, capsys):
    code = main(["search", "salary", "--data-dir", str(tmp_path / "nothing")])
    err = capsys.readouterr().err
    assert code == 1
    assert "No index at" in err and "career-assistant ingest" in err


@pytest.mark.parametrize(
    ("args", "phrase"),
    [
        (["search", "   "], "query is empty"),
        (["search", "x", "--k", "0"], "'k' must be at least 1"),
    ],
)
def test_bad_search_input_is_one_clear_line(ingested, capsys, args, phrase):
    assert main([*args, "--data-dir", str(ingested)]) == 1
    err = capsys.readouterr().err
    assert phrase in err and err.count("\n") == 1


def test_bad_setting_is_reported(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CAREER_ASSISTANT_CHUNK_TOKENS", "lots")
    assert main(["search", "x", "--data-dir", str(tmp_path)]) == 1
    assert "chunk_tokens" in capsys.readouterr().err


def test_missing_path_exits_non_zero(tmp_path, capsys):
    code = main(["ingest", str(tmp_path / "typo"), "--data-dir", str(tmp_path / "d")])
    err = capsys.readouterr().err
    assert code == 1
    assert "typo: path does not exist" in err


def test_interactive_search_reads_queries_until_empty_line(ingested):
    proc = subprocess.run(
        [str(CLI), "search", "--data-dir", str(ingested), "--k", "1"],
        input="continuous learning habits\n\n",
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("[1] ") == 1
    assert "empty line" in proc.stderr


def test_version_flag():
    proc = subprocess.run([str(CLI), "--version"], capture_output=True, text=True, check=True)
    assert proc.stdout.startswith("career-assistant ")
