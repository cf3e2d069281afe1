"""Killing ingestion midway (SIGKILL) leaves the previous index answering, and the next
run completes the job. Uses the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

from tests.conftest import CLI, CORPUS, kill_ingest_after

ESSAYS = 10
ENV = {**os.environ, "CAREER_ASSISTANT_COMMIT_EVERY": "24"}


def write_corpus(root: Path, word: str) -> None:
    """Distinct essays built from the seed, every paragraph tagged so that changing
    ``word`` changes every chunk (about 120 chunks to embed, committed 24 at a time)."""
    seed = (CORPUS / "building-an-ai-career.md").read_text()
    root.mkdir(exist_ok=True)
    for i in range(ESSAYS):
        lines = []
        skip = ("#", "---", "layout:", "title:", "date:", "categories:")
        for line in seed.splitlines():
            tagged = f"{line} {word} {i}." if line.strip() and not line.startswith(skip) else line
            lines.append(tagged.replace("Building an AI Career", f"Career essay {i}"))
        (root / f"essay-{i:02d}.md").write_text("\n".join(lines) + "\n")


def cli(*args: str, data: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), *args, "--data-dir", str(data)],
        capture_output=True,
        text=True,
        timeout=600,
        check=check,
        env=ENV,
    )


def ids_of(data: Path) -> set[str]:
    # Each passage in --json output is identified by its source and offsets.
    hits = json.loads(cli("search", "career advice", "--k", "500", "--json", data=data).stdout)
    return {(h["source"], h["start"], h["end"], h["text"]) for h in hits}


def test_sigkill_midway_keeps_old_index_answering_and_next_run_completes(tmp_path):
    corpus = tmp_path / "essays"
    data = tmp_path / "data"
    write_corpus(corpus, "Note")
    cli("ingest", str(corpus), data=data)
    before = ids_of(data)

    write_corpus(corpus, "Remark")  # every chunk changes
    committed, returncode = kill_ingest_after(corpus, data, ENV, files=1)
    assert committed, "ingest finished or failed before it committed any file"
    assert returncode == -signal.SIGKILL

    # The index still answers: a mix of old and new passages, never nothing.
    mid = cli("search", "How do I keep learning in AI?", "--json", data=data)
    hits = json.loads(mid.stdout)
    assert len(hits) == 5 and all(h["text"] for h in hits)

    done = cli("ingest", str(corpus), data=data)
    assert "error" not in done.stderr.lower()
    after = ids_of(data)

    fresh = tmp_path / "fresh"
    cli("ingest", str(corpus), data=fresh)
    assert after == ids_of(fresh)
    assert after != before
    # Nothing old survives: every passage carries the new word.
    assert all("Note" not in text for *_, text in after)
