"""A damaged embedded index (#12 item 5): every command says so in one line that names
the fix, `ingest --rebuild` always recovers, and an ingest never calls files
"unchanged" when the index no longer holds them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings
from assistant.errors import IndexDamagedError
from assistant.ingest import Ingester
from assistant.search import ChunkIndex
from tests.conftest import CLI, CORPUS, REPO, free_port, web_app

ESSAY = "building-an-ai-career.md"


def cli(*args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    cmd = [*prefix, *args] if prefix else [str(CLI), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=dict(os.environ))


def sqlite_file(data: Path) -> Path:
    return data / "chroma" / "chroma.sqlite3"


def half(data: Path) -> None:
    db = sqlite_file(data)
    os.truncate(db, db.stat().st_size // 2)


def empty(data: Path) -> None:
    os.truncate(sqlite_file(data), 0)


def garbage(data: Path) -> None:
    with sqlite_file(data).open("r+b") as fh:
        fh.write(b"this is not a database at all")


@pytest.fixture(scope="module")
def built(tmp_path_factory, embeddings) -> Path:
    """One ingest of the bundled essay; tests damage copies of it."""
    data = tmp_path_factory.mktemp("built") / "data"
    report = Ingester(Settings(data_dir=data, corpus=(CORPUS,)), embeddings).run()
    assert report.added == 1
    return data


@pytest.fixture
def data(built: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "data"
    shutil.copytree(built, copy)
    return copy


def assert_one_line_naming_rebuild(res: subprocess.CompletedProcess[str]) -> None:
    assert res.returncode == 1, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr, res.stderr
    errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and len(res.stderr.strip().splitlines()) <= 2, res.stderr
    assert "damaged" in errors[0] and "ingest --rebuild" in errors[0], errors[0]


def test_half_an_index_is_one_line_everywhere_and_rebuild_recovers(data: Path, embeddings) -> None:
    half(data)
    d = ("--data-dir", str(data))
    assert_one_line_naming_rebuild(cli("search", "salary", *d))
    assert_one_line_naming_rebuild(cli("ask", "How do I negotiate?", *d))
    assert_one_line_naming_rebuild(cli("ingest", str(CORPUS), *d))
    port = str(free_port())
    serve = (sys.executable, str(REPO / "app.py"), "--port", port, "--corpus", str(CORPUS), *d)
    assert_one_line_naming_rebuild(cli(prefix=serve))

    rebuilt = cli("ingest", "--rebuild", str(CORPUS), *d)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "Traceback" not in rebuilt.stderr
    assert "added 1" in rebuilt.stdout and " 0 in index" not in rebuilt.stdout, rebuilt.stdout
    assert "moved" in rebuilt.stderr, rebuilt.stderr  # says where the damaged files went
    aside = [p for p in data.iterdir() if p.name.startswith("chroma.damaged-")]
    assert len(aside) == 1 and (aside[0] / "chroma.sqlite3").is_file()  # kept, not deleted
    again = Ingester(Settings(data_dir=data, corpus=(CORPUS,)), embeddings).run()
    assert again.unchanged == 1 and again.chunks_in_index > 0, again.summary()


def test_an_emptied_index_is_one_line_not_unchanged(data: Path) -> None:
    empty(data)
    d = ("--data-dir", str(data))
    assert_one_line_naming_rebuild(cli("ingest", str(CORPUS), *d))
    assert_one_line_naming_rebuild(cli("search", "salary", *d))


@pytest.mark.parametrize("damage", [half, empty, garbage])
def test_damage_is_found_at_open_and_rebuild_recovers_in_the_same_process(
    data: Path, embeddings, damage: Callable[[Path], None]
) -> None:
    """A process that saw the damage (a serving app) can open the rebuilt index: chromadb
    must not keep the broken store it failed to open."""
    damage(data)
    settings = Settings(data_dir=data, corpus=(CORPUS,))
    with pytest.raises(IndexDamagedError, match="ingest --rebuild"):
        ChunkIndex(settings, embeddings, create=False)
    report = Ingester(settings, embeddings).run(rebuild=True)
    assert report.added == 1 and report.chunks_in_index > 0
    assert any("moved" in note for note in report.notes), report.notes
    index = ChunkIndex(settings, embeddings, create=False)
    try:
        assert index.count() == report.chunks_in_index
    finally:
        index.close()


def test_rebuild_of_a_healthy_index_moves_nothing_aside(data: Path, embeddings) -> None:
    settings = Settings(data_dir=data, corpus=(CORPUS,))
    report = Ingester(settings, embeddings).run(rebuild=True)
    assert report.added == 1 and not report.notes
    assert sorted(p.name for p in data.iterdir() if p.name.startswith("chroma")) == ["chroma"]


@pytest.mark.parametrize("lose", ["dir", "sqlite"])
def test_a_lost_index_is_reingested_not_called_unchanged(data: Path, embeddings, lose: str) -> None:
    """The manifest still lists the essay, but the index no longer holds it."""
    if lose == "dir":
        shutil.rmtree(data / "chroma")
    else:
        sqlite_file(data).unlink()
    settings = Settings(data_dir=data, corpus=(CORPUS,))
    report = Ingester(settings, embeddings).run()
    assert report.unchanged == 0 and report.added == 1, report.summary()
    assert report.chunks_in_index > 0 and report.chunks_embedded == report.chunks_in_index


def test_a_serving_app_says_so_and_recovers_after_rebuild_without_a_restart(data: Path) -> None:
    question = {"question": "How do I build a portfolio?"}
    with web_app(data, CORPUS) as url, httpx.Client(base_url=url, timeout=120) as client:
        assert client.post("/api/ask", json=question).status_code == 200
        empty(data)  # damaged under the running app
        broken = client.post("/api/ask", json=question)
        assert broken.status_code == 503, (
            broken.text
        )  # the server can't answer: not the client's fault
        message = broken.json()["error"]["message"]
        assert "damaged" in message and "ingest --rebuild" in message, message

        rebuilt = cli("ingest", "--rebuild", str(CORPUS), "--data-dir", str(data))
        assert rebuilt.returncode == 0, rebuilt.stderr
        after = client.post("/api/ask", json=question)
        assert after.status_code == 200, after.text
        assert after.json()["citations"], after.json()
